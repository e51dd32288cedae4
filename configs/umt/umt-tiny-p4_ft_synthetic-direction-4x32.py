# Fine-tune the patch-4 synthetic stage-1 student on 'direction' with the budget of the
# VideoMAE V2 synthetic comparison (500 labeled clips, 300 iters x 32, AdamW 1e-3 OneCycle).
# The stage-1 checkpoint's teacher / clip_decoder keys are ignored (backbone.* only load).
# The from-scratch baseline: --cfg-options load_from=None
_base_ = ['./umt-tiny-p8_ft_synthetic-direction-8x32.py', '../_base_/datasets/synthetic_every2nd.py']

num_frames = 4  # the model sees every 2nd of the world's 8 frames
pipeline = {{_base_.synthetic_every2nd_pipeline}}
model = dict(backbone=dict(arch=dict(patch_size=4), num_frames=num_frames),
             cls_head=dict(average_clips='prob'))
load_from = 'work_dirs/umt-tiny-p4_stage1_synthetic-4x32/iter_600.pth'

world_cfg = dict(_delete_=True, noise=0)
train_dataloader = dict(
    batch_size=32,
    dataset=dict(num_samples=500, num_frames=8, world_cfg=world_cfg,
                 pipeline=pipeline))
val_dataloader = dict(
    dataset=dict(num_samples=400, num_frames=8, world_cfg=world_cfg,
                 pipeline=pipeline))
test_dataloader = val_dataloader

max_iters = 300
lr = 1e-3
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [dict(type='OneCycleLR', eta_max=lr, total_steps=max_iters, pct_start=0.1,
                        by_epoch=False)]
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1,
                                     save_best=None))
log_processor = dict(by_epoch=False)
