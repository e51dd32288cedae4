# Fine-tune the semantic stage-1 student on 'mover_shape' (which of 2 objects moves: its
# shape; 4 classes, needs time and appearance), in the official fine-tuning layout: mean
# pooling -> new fc_norm -> head (the stage-1 ``norm`` is not loaded). 1920 labelled clips x
# 12 epochs. The from-scratch baseline: --cfg-options load_from=None
_base_ = ['./umt-tiny-p8_ft_synthetic-direction-8x32.py', '../_base_/datasets/synthetic_every2nd.py']

num_frames = 4
pipeline = {{_base_.synthetic_every2nd_pipeline}}
model = dict(backbone=dict(num_frames=num_frames, use_mean_pooling=True),
             # official head init: trunc_normal(.02) x init_scale 0.001
             cls_head=dict(num_classes=4, init_std=2e-5, label_smooth_eps=0.1))
load_from = 'work_dirs/umt-tiny-p8_stage1_synthetic-semantic-4x32/epoch_5.pth'

world_cfg = dict(max_objects=2, motion=(0.6, 0.8), noise=0, object_size=(0.28, 0.36))
train_dataloader = dict(dataset=dict(task='mover_shape', num_samples=1920, num_frames=8,
                                     world_cfg=world_cfg, pipeline=pipeline))
val_dataloader = dict(dataset=dict(task='mover_shape', num_frames=8, world_cfg=world_cfg,
                                   pipeline=pipeline))
test_dataloader = val_dataloader

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
# AdamW 1e-3, OneCycle with 15 % warm-up over the 12 x 80 iterations
param_scheduler = [dict(type='OneCycleLR', eta_max=1e-3, total_steps=max_epochs, pct_start=0.15,
                        by_epoch=True, convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
