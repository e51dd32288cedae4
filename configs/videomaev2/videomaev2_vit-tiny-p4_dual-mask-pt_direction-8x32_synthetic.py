# VideoMAE V2 dual-masking pre-training of a tiny ViT on the synthetic world (CPU, minutes).
# The real recipe (tube 90 % / running cell 50 %, normalised-pixel loss, AdamW (0.9, 0.95))
# with the synthetic dataset and a short iteration schedule. Labels are ignored.
#   .venv/bin/python tools/train.py configs/videomaev2/videomaev2_vit-tiny-p4_dual-mask-pt_direction-8x32_synthetic.py
_base_ = ['./videomaev2_vit-base-p16_dual-mask-pt-800e_hybrid-16x4-res224.py']

num_frames = 8
img_size = 32
tiny = dict(_delete_=True, patch_size=4, embed_dim=64, depth=4, num_heads=4, mlp_ratio=4.)
world_cfg = dict(noise=0)
model = dict(
    backbone=dict(arch=tiny, img_size=img_size, num_frames=num_frames),
    decoder=dict(embed_dim=32, depth=2, num_heads=2))  # masks: seeded by randomness.seed

train_dataloader = dict(
    _delete_=True, batch_size=32, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='SyntheticVideoDataset', num_samples=2000, seed=0, task='direction',
                 num_frames=num_frames, size=img_size, split='train', world_cfg=world_cfg,
                 cache_clips=True,
                 pipeline=[dict(type='FormatShape', input_format='NCTHW'),
                           dict(type='PackActionInputs')]))

max_iters = 1500
lr = 1.5e-3
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.95), weight_decay=0.05))
# 10 % warm-up then cosine decay, in one scheduler
param_scheduler = [dict(type='OneCycleLR', eta_max=lr, total_steps=max_iters, pct_start=0.1,
                        by_epoch=False)]
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
