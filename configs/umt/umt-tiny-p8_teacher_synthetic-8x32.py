# The image teacher of umt-tiny-p8_stage1_synthetic-8x32.py ('direction' world: textured
# background, 800 clips of 8 frames): per-patch colour class through the cosine head, on every
# 2nd frame.
#   .venv/bin/python tools/train.py configs/umt/umt-tiny-p8_teacher_synthetic-8x32.py
_base_ = ['./umt-tiny-p8_teacher_synthetic-semantic-4x32.py']

model = dict(num_classes=9)  # background + len(COLORS)
targets = dict(type='SyntheticPatchColorTargets', patch_size=8)
# the base's pipelines with this teacher's targets (step 3)
train_pipeline = [*_base_.train_pipeline[:3], targets, *_base_.train_pipeline[4:]]
val_pipeline = [*_base_.val_pipeline[:3], targets, *_base_.val_pipeline[4:]]
world_cfg = dict(_delete_=True, max_objects=2, motion=(0.6, 0.8))
train_dataloader = dict(dataset=dict(world_cfg=world_cfg, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(world_cfg=world_cfg, pipeline=val_pipeline))
test_dataloader = val_dataloader
