# The main job (`make demo`): a small VideoViT (mmaction2 Recognizer3D + our backbone)
# trained from scratch on the synthetic world's 'direction' task, which one frame
# cannot solve (9 classes: 8 directions + static).
_base_ = ['../_base_/default_runtime.py']

num_frames = 16
img_size = 32
num_classes = 9

model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='VideoViT',
        img_size=img_size,
        patch_size=8,
        num_frames=num_frames,
        tubelet_size=2,
        embed_dim=96,
        depth=4,
        num_heads=4,
        mlp_ratio=3.,
        qkv_bias=True,
        drop_path_rate=0.05,
        use_mean_pooling=True),
    cls_head=dict(
        type='TimeSformerHead',
        num_classes=num_classes,
        in_channels=96,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[64., 64., 64.],
        format_shape='NCTHW'))

dataset_type = 'VideoListDataset'
data_root = 'data/synthetic/direction'

train_pipeline = [
    dict(type='VideoInit'),
    # short videos repeat their last frame (set short_video='error' to reject them)
    dict(type='VideoSampleFrames', clip_len=num_frames, frame_interval=1, num_clips=1,
         short_video='repeat_last'),
    dict(type='VideoDecode'),
    dict(type='Flip', flip_ratio=0.0),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='VideoSampleFrames', clip_len=num_frames, frame_interval=1, num_clips=1,
         short_video='repeat_last', test_mode=True),
    dict(type='VideoDecode'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, ann_file=f'{data_root}/train.txt',
                 data_prefix=dict(video=data_root), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=f'{data_root}/val.txt',
                 data_prefix=dict(video=data_root), pipeline=test_pipeline, test_mode=True))
test_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=f'{data_root}/test.txt',
                 data_prefix=dict(video=data_root), pipeline=test_pipeline, test_mode=True))

val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

max_epochs = 20
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1, val_interval=2)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 2, eta_min=1e-5, by_epoch=True,
         begin=2, end=max_epochs, convert_to_iter_based=True)
]

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=2, max_keep_ckpts=2, save_best='acc/top1', rule='greater'))
custom_hooks = [dict(type='TrainingCurveHook'), dict(type='BadSampleReportHook')]
auto_scale_lr = dict(enable=False, base_batch_size=32)
