# Point-NN on ModelNet40 (paper: 81.8% top-1 with the gamma tuned on the test set).
_base_ = ['./_base_/point-nn_membank.py']

data_root = 'data/modelnet40_ply_hdf5_2048'
# official loader: first 1024 points; training clouds shuffled per sample (the FPS seed
# point changes); test clouds unchanged. The h5 clouds are already unit-sphere normalised.
train_pipeline = [dict(type='PointSample', num_points=1024, mode='first'),
                  dict(type='ShufflePoints'), dict(type='PackPointCloudInputs')]
test_pipeline = [dict(type='PointSample', num_points=1024, mode='first'),
                 dict(type='PackPointCloudInputs')]
# batch 16 in loader order ("Freeze as 16"): the batch-global std ties features to it
train_dataloader = dict(
    batch_size=16, num_workers=2, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ModelNet40H5Dataset', data_root=data_root, split='train',
                 pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=16, num_workers=2, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ModelNet40H5Dataset', data_root=data_root, split='test',
                 pipeline=test_pipeline, test_mode=True))
model = dict(head=dict(num_classes=40))
