# Point-NN on the synthetic 3D primitives (8 classes; noise, partial views, clutter).
# CPU quick start: builds the memory in seconds, no data preparation.
_base_ = ['./_base_/point-nn_membank.py']

num_points = 256
primitive_cfg = dict(num_points=num_points, noise=0.02, partial_prob=0.5, clutter_prob=0.3,
                     rotate='z')
pipeline = [dict(type='PackPointCloudInputs')]
train_dataloader = dict(
    batch_size=16, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='SyntheticPrimitivesDataset', num_per_class=40, seed=0,
                 primitive_cfg=primitive_cfg, pipeline=pipeline))
test_dataloader = dict(
    batch_size=16, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='SyntheticPrimitivesDataset', num_per_class=15, seed=1,
                 primitive_cfg=primitive_cfg, pipeline=pipeline, test_mode=True))
model = dict(backbone=dict(input_points=num_points, k_neighbors=16), head=dict(num_classes=8))
