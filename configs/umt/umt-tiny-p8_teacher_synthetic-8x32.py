# The image teacher of umt-tiny-p8_stage1_synthetic-8x32.py ('direction' world: textured
# background, 800 clips of 8 frames): per-patch colour class through the cosine head, on every
# 2nd frame.
#   .venv/bin/python tools/train.py configs/umt/umt-tiny-p8_teacher_synthetic-8x32.py
_base_ = ['./umt-tiny-p8_teacher_synthetic-semantic-4x32.py']

model = dict(num_classes=9)  # background + len(COLORS)
targets = dict(type='SyntheticPatchColorTargets', patch_size=8)
train_pipeline = [
    dict(type='VideoInit'),
    dict(type='VideoSampleFrames', clip_len=1, frame_interval=1, num_clips=1),
    dict(type='VideoDecode'),
    targets,
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('gt_patch_labels', ))
]
val_pipeline = [
    dict(type='VideoInit'),
    dict(type='VideoSampleFrames', clip_len=4, frame_interval=2, num_clips=1, test_mode=True),
    dict(type='VideoDecode'),
    targets,
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('gt_patch_labels', ))
]
world_cfg = dict(_delete_=True, max_objects=2, motion=(0.6, 0.8))
train_dataloader = dict(dataset=dict(world_cfg=world_cfg, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(world_cfg=world_cfg, pipeline=val_pipeline))
test_dataloader = val_dataloader
