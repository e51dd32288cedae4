# The image teacher of umt-tiny-p4_stage1_synthetic-4x32.py (patch 4, flat background, 2000
# free clips): per-patch colour class (object identity and position) through the cosine head.
#   .venv/bin/python tools/train.py configs/umt/umt-tiny-p4_teacher_synthetic-4x32.py
_base_ = ['./umt-tiny-p8_teacher_synthetic-semantic-4x32.py']

patch_size = 4
model = dict(visual=dict(patch_size=patch_size), num_classes=9)  # background + len(COLORS)
targets = dict(type='SyntheticPatchColorTargets', patch_size=patch_size)
# the base's pipelines with this teacher's targets (step 3)
train_pipeline = [*_base_.train_pipeline[:3], targets, *_base_.train_pipeline[4:]]
val_pipeline = [*_base_.val_pipeline[:3], targets, *_base_.val_pipeline[4:]]
world_cfg = dict(_delete_=True, noise=0)
train_dataloader = dict(dataset=dict(num_samples=2000, world_cfg=world_cfg,
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(world_cfg=world_cfg, pipeline=val_pipeline))
test_dataloader = val_dataloader
