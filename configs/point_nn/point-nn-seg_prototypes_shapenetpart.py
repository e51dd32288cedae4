# Point-NN part segmentation on ShapeNetPart (run_nn_seg.py; paper 70.4, README 71.5 mIoU).
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.point_nn'], allow_failed_imports=False)

model = dict(
    type='PointNNSegmentor',
    data_preprocessor=dict(type='PointCloudDataPreprocessor'),
    # run-script values (class defaults differ: 2048 points, 5 stages, k 128, alpha/beta
    # swapped); every cloud alone (official batch size 1) = std_mode 'sample'
    backbone=dict(type='PointNNEncoder', input_points=1024, num_stages=4, embed_dim=144,
                  k_neighbors=90, alpha=1000, beta=100, std_mode='sample'),
    decoder=dict(type='PointNNSegDecoder', de_neighbors=6),
    head=dict(type='PartPrototypeHead', num_parts=50, gamma=300.0))

data_root = 'data/shapenetcore_partanno_segmentation_benchmark_v0_normal'
# PartNormalDataset(npoints=1024, normalize=False): resample with replacement
pipeline = [dict(type='LoadPointsFromFile'),
            dict(type='PointSample', num_points=1024, mode='random', replace=True),
            dict(type='PackPointCloudInputs')]
train_dataloader = dict(
    batch_size=1, num_workers=2, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ShapeNetPartDataset', data_root=data_root, split='trainval',
                 pipeline=pipeline))
test_dataloader = dict(
    batch_size=1, num_workers=2, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ShapeNetPartDataset', data_root=data_root, split='test',
                 pipeline=pipeline, test_mode=True))
train_cfg = dict(type='MemoryBankBuildLoop')
optim_wrapper = dict(constructor='NonParametricOptimWrapperConstructor',
                     optimizer=dict(type='SGD', lr=0.0))
test_cfg = dict(type='TestLoop')
test_evaluator = dict(type='PartInstanceMIoU', num_parts=50)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, save_best=None))
