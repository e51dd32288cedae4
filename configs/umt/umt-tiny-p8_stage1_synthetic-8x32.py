# UMT stage 1 on the synthetic world (CPU, minutes): a tiny UMTViT student aligned to a tiny
# CLIP-style image teacher trained on single synthetic frames. Train the teacher first:
#   .venv/bin/python tools/train.py configs/umt/umt-tiny-p8_teacher_synthetic-8x32.py
#   .venv/bin/python tools/train.py configs/umt/umt-tiny-p8_stage1_synthetic-8x32.py
# (the teacher is its runner checkpoint's ``visual.*``: init_cfg Pretrained with a prefix)
_base_ = ['./umt-base-p16_clip-b16_k710-pre_u8-res224.py']

num_frames = 8
size = 32
model = dict(
    backbone=dict(_delete_=True, type='UMTViT',
                  arch=dict(patch_size=8, embed_dim=64, depth=4, num_heads=4, mlp_ratio=4.),
                  img_size=size, num_frames=num_frames, use_mean_pooling=False,
                  pos_embed_base_thw=None),
    teacher=dict(_delete_=True, type='CLIPVisual', arch=None, input_resolution=size,
                 patch_size=8, width=64, layers=4, heads=4, output_dim=32, return_layers=2,
                 init_cfg=dict(type='Pretrained', prefix='visual.',
                               checkpoint='work_dirs/umt-tiny-p8_teacher_synthetic-8x32/'
                                          'iter_800.pth')),
    clip_return_layer=2,
    mask_ratio=0.8,
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]))

pipeline = [dict(type='FormatShape', input_format='NCTHW'), dict(type='PackActionInputs')]
world_cfg = dict(max_objects=2, motion=(0.6, 0.8))
train_dataloader = dict(
    batch_size=24, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, type='SyntheticVideoDataset', num_samples=800, seed=7,
                 task='direction', num_frames=num_frames, size=size, split='train',
                 world_cfg=world_cfg, pipeline=pipeline, cache_clips=True))

max_epochs = 5
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1000)
optim_wrapper = dict(type='OptimWrapper', _delete_=True,
                     optimizer=dict(type='AdamW', lr=1.5e-3, betas=(0.9, 0.95),
                                    weight_decay=0.05))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
                        by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None))
randomness = dict(seed=0)
