# UMT stage 1 on the synthetic world in the VideoMAE V2 synthetic regime (patch 4, flat
# background): a tiny UMTViT student aligned to a tiny CLIP-style image teacher trained on
# single synthetic frames. Train the teacher first:
#   .venv/bin/python tools/train.py configs/umt/umt-tiny-p4_teacher_synthetic-4x32.py
#   .venv/bin/python tools/train.py configs/umt/umt-tiny-p4_stage1_synthetic-4x32.py
_base_ = ['./umt-tiny-p8_stage1_synthetic-8x32.py', '../_base_/datasets/synthetic_every2nd.py']

num_frames = 4  # the model sees every 2nd of the world's 8 frames
pipeline = {{_base_.synthetic_every2nd_pipeline}}
size = 32
model = dict(
    backbone=dict(arch=dict(patch_size=4), num_frames=num_frames),
    teacher=dict(patch_size=4,
                 init_cfg=dict(
                     checkpoint='work_dirs/umt-tiny-p4_teacher_synthetic-4x32/iter_800.pth')),
    mask_ratio=0.8)

world_cfg = dict(_delete_=True, noise=0)
train_dataloader = dict(
    batch_size=32,
    dataset=dict(num_samples=2000, num_frames=8, world_cfg=world_cfg,
                 pipeline=pipeline))

max_iters = 600
lr = 1.5e-3
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [dict(type='OneCycleLR', eta_max=lr, total_steps=max_iters,
                        pct_start=0.1, by_epoch=False)]
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
