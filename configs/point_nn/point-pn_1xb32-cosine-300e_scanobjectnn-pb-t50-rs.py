# Point-PN on ScanObjectNN PB-T50-RS (run_pn_scan.py recipe; paper 87.1%, issue #25: 85.3).
# The official --weight_decay 0.05 is never passed, so the effective AdamW wd is 0.01 (kept).
_base_ = ['./point-pn_1xb32-cosine-300e_modelnet40.py']

model = dict(backbone=dict(in_channels=4, norm='scan'),
             head=dict(num_classes=15, label_smoothing=0.5))
data_root = 'data/h5_files'
# xyz + height (y - min y on the raw cloud), then xyz to the unit sphere
train_pipeline = [dict(type='PointSample', num_points=1200, mode='fps'),
                  dict(type='PointSample', num_points=1024, mode='random'),
                  dict(type='RandomRotatePoints', axis=1),
                  dict(type='RandomScaleTranslatePoints', scale_range=(0.9, 1.1),
                       translate_range=(0.0, 0.0)),
                  dict(type='AddPointHeight', gravity_dim=1),
                  dict(type='NormalizePointsToUnitSphere'), dict(type='PackPointCloudInputs')]
test_pipeline = [dict(type='PointSample', num_points=1024, mode='fps'),
                 dict(type='AddPointHeight', gravity_dim=1),
                 dict(type='NormalizePointsToUnitSphere'), dict(type='PackPointCloudInputs')]
train_dataloader = dict(dataset=dict(_delete_=True, type='ScanObjectNNH5Dataset',
                                     data_root=data_root, variant='pb_t50_rs', split='training',
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(_delete_=True, type='ScanObjectNNH5Dataset',
                                   data_root=data_root, variant='pb_t50_rs', split='test',
                                   pipeline=test_pipeline, test_mode=True))
test_dataloader = val_dataloader
max_epochs = 300
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(_delete_=True, optimizer=dict(type='AdamW', lr=0.002, eps=1e-4, weight_decay=0.01),
                     clip_grad=dict(max_norm=10))
# timm cosine to 1e-4 at epoch 200, then flat
param_scheduler = [dict(type='CosineAnnealingLR', T_max=200, eta_min=1e-4, by_epoch=True,
                        begin=0, end=200)]
randomness = dict(seed=7240)
