# The one-frame check of viclip-tiny-p8_synthetic-direction-8x32.py: the same trained model
# (load_from its checkpoint), validated on clips whose 8 frames are all the middle frame
# (RepeatFrame). One frame shows the objects but not where they move.
_base_ = ['./viclip-tiny-p8_synthetic-direction-8x32.py']

pipeline = [dict(type='VideoInit'),
            dict(type='ViCLIPSegmentSample', clip_len=8, sample='middle'),
            dict(type='VideoDecode'),
            dict(type='RepeatFrame'),
            dict(type='FormatShape', input_format='NCTHW'),
            dict(type='PackActionInputs', meta_keys=('img_shape', 'caption', 'sample_idx'))]
val_dataloader = dict(dataset=dict(pipeline=pipeline))
test_dataloader = val_dataloader
