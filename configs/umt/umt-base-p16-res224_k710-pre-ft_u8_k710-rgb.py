# UMT-B/16 fine-tuning on K710 from the stage-1 checkpoint (paper: 81.9 top-1 on K710).
# Official: single_modality/exp/finetuning/k710/b16_ptk710_ftk710_f8_res224.sh (16 GPUs x 16,
# 35 epochs, warmup 2, lr 2e-4 * bs / 256, layer decay 0.75, wd 0.05, drop path 0.1,
# RandAug m7-n4, mixup 0.8 / cutmix 1.0, label smoothing 0.1, reprob 0.25; test 4 x 3).
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.umt'], allow_failed_imports=False)

num_frames = 8
num_classes = 710
model = dict(
    type='Recognizer3D',
    backbone=dict(type='UMTViT', arch='b', img_size=224, num_frames=num_frames,
                  drop_path_rate=0.1, use_mean_pooling=True),
    cls_head=dict(type='TimeSformerHead', num_classes=num_classes, in_channels=768,
                  init_std=0.001, average_clips='prob',
                  loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    data_preprocessor=dict(
        type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], format_shape='NCTHW',
        blending=dict(type='RandomBatchAugment', augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
            dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)])))

# stage-1 checkpoint converted with `tools/convert_checkpoint.py umt b16_ptk710_f8_res224.pth
# OUT` (keys backbone.* / clip_decoder.*; the latter are ignored here)
load_from = None

dataset_type = 'VideoDataset'
data_root = 'data/k710/videos'
train_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [  # 4 clips x 3 crops, short side 224
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=4, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='ThreeCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    batch_size=16, num_workers=12, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, ann_file='data/k710/k710_train_list_videos.txt',
                 data_prefix=dict(video=data_root), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file='data/k710/k710_val_list_videos.txt',
                 data_prefix=dict(video=data_root), pipeline=val_pipeline, test_mode=True))
test_dataloader = dict(
    batch_size=4, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file='data/k710/k710_val_list_videos.txt',
                 data_prefix=dict(video=data_root), pipeline=test_pipeline, test_mode=True))
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

max_epochs = 35
warmup_epochs = 2
gpus = 16
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1,
                 val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='AmpOptimWrapper', dtype='bfloat16',
    optimizer=dict(type='AdamW', lr=2e-4 * 16 * gpus / 256, betas=(0.9, 0.999),
                   weight_decay=0.05),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.75))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / (2e-4 * 16 * gpus / 256), by_epoch=True,
         begin=0, end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_best='acc/top1',
                                     rule='greater'))
auto_scale_lr = dict(enable=False, base_batch_size=256)
