# Point-PN trained on the synthetic primitives on CPU in minutes (narrow: embed_dim 18;
# AdamW as the ScanObjectNN recipe, which converges faster than SGD on 320 clouds).
_base_ = ['./point-pn_1xb32-cosine-300e_modelnet40.py']

num_points = 256
primitive_cfg = dict(num_points=num_points, noise=0.02, partial_prob=0.5, clutter_prob=0.3,
                     rotate='z')
model = dict(backbone=dict(input_points=num_points, k_neighbors=16, embed_dim=18),
             head=dict(in_channels=144, num_classes=8, label_smoothing=0.1))
train_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, type='SyntheticPrimitivesDataset', num_per_class=40, seed=0,
                 primitive_cfg=primitive_cfg,
                 pipeline=[dict(type='RandomScaleTranslatePoints'),
                           dict(type='PackPointCloudInputs')]))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, type='SyntheticPrimitivesDataset', num_per_class=15, seed=1,
                 primitive_cfg=primitive_cfg, pipeline=[dict(type='PackPointCloudInputs')],
                 test_mode=True))
test_dataloader = val_dataloader
max_epochs = 20
optim_wrapper = dict(_delete_=True, optimizer=dict(type='AdamW', lr=0.003, weight_decay=0.01))
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-4,
                        by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=4), logger=dict(interval=5))
randomness = dict(seed=0)
