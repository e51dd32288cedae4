# Point-NN part segmentation on synthetic primitives with part labels (CPU, seconds).
_base_ = ['./point-nn-seg_prototypes_shapenetpart.py']

num_points = 256
classes = ['cylinder', 'cone', 'capsule', 'pyramid']  # 3 + 2 + 3 + 2 = 10 parts
primitive_cfg = dict(num_points=num_points, noise=0.01, rotate='z')
pipeline = [dict(type='PackPointCloudInputs')]
model = dict(backbone=dict(input_points=num_points, embed_dim=72, k_neighbors=16),
             head=dict(num_parts=10, gamma=300.0))
train_dataloader = dict(
    batch_size=4, num_workers=0,
    dataset=dict(_delete_=True, type='SyntheticPrimitivesDataset', num_per_class=10, seed=0,
                 classes=classes, primitive_cfg=primitive_cfg, pipeline=pipeline))
test_dataloader = dict(
    batch_size=4, num_workers=0,
    dataset=dict(_delete_=True, type='SyntheticPrimitivesDataset', num_per_class=5, seed=1,
                 classes=classes, primitive_cfg=primitive_cfg, pipeline=pipeline,
                 test_mode=True))
test_evaluator = dict(num_parts=10)
