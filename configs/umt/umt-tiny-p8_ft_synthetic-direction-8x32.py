# Fine-tune the synthetic stage-1 student on 'direction' (9 classes, needs time). Set
# load_from to the stage-1 checkpoint (its teacher / clip_decoder keys are ignored), or
# leave it None for the from-scratch baseline at the same budget.
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.umt'], allow_failed_imports=False)

num_frames = 8
size = 32
model = dict(
    type='Recognizer3D',
    backbone=dict(type='UMTViT',
                  arch=dict(patch_size=8, embed_dim=64, depth=4, num_heads=4, mlp_ratio=4.),
                  img_size=size, num_frames=num_frames, use_mean_pooling=False,
                  pos_embed_base_thw=None),
    cls_head=dict(type='TimeSformerHead', num_classes=9, in_channels=64,
                  average_clips='prob'),
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], format_shape='NCTHW'))
load_from = 'work_dirs/umt-tiny-p8_stage1_synthetic-8x32/epoch_5.pth'

pipeline = [dict(type='FormatShape', input_format='NCTHW'), dict(type='PackActionInputs')]
world_cfg = dict(max_objects=2, motion=(0.6, 0.8))
dataset = dict(type='SyntheticVideoDataset', task='direction', num_frames=num_frames,
               size=size, world_cfg=world_cfg, pipeline=pipeline, cache_clips=True)
train_dataloader = dict(
    batch_size=24, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(num_samples=480, seed=0, split='train', **dataset))
val_dataloader = dict(
    batch_size=50, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(num_samples=300, seed=0, split='val', test_mode=True, **dataset))
test_dataloader = val_dataloader
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

max_epochs = 8
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-5, by_epoch=True,
         begin=1, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1,
                                     save_best='acc/top1', rule='greater'))
randomness = dict(seed=0)
