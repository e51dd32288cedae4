# The one-frame baseline of the 'mover_shape' comparison: the same fine-tuning as
# umt-tiny-p8_ft_synthetic-mover-shape-4x32.py (UMT init), but every clip, in training and in
# validation, is its middle frame repeated 4 times (RepeatFrame): what the student can do with
# the teacher's knowledge and no time. A single frame shows both shapes, not which one moves.
_base_ = ['./umt-tiny-p8_ft_synthetic-mover-shape-4x32.py']

pipeline = [
    dict(type='VideoInit'),
    dict(type='VideoSampleFrames', clip_len=4, frame_interval=2, num_clips=1, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='RepeatFrame'),  # frames 0, 2, 4, 6 -> 4, 4, 4, 4
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
train_dataloader = dict(dataset=dict(pipeline=pipeline))
val_dataloader = dict(dataset=dict(pipeline=pipeline))
test_dataloader = val_dataloader
