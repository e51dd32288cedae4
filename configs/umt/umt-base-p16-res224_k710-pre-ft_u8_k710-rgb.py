# UMT-B/16 fine-tuning on K710 from the stage-1 checkpoint (paper: 81.9 top-1 on K710).
# Official: single_modality/exp/finetuning/k710/b16_ptk710_ftk710_f8_res224.sh (16 GPUs x 16,
# 35 epochs, warmup 2, lr 2e-4 * bs * num_sample / 256 (--num_sample defaults to 2), layer
# decay 0.75, wd 0.05, drop path 0.1; RandAug m7-n4, random erasing 0.25, mixup 0.8 / cutmix
# 1.0, label smoothing 0.1 (run_class_finetuning.py defaults); test 4 x 3).
_base_ = ['../_base_/datasets/k710_video.py', '../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.umt'], allow_failed_imports=False)

num_frames = 8
num_classes = 710
model = dict(
    type='Recognizer3D',
    backbone=dict(type='UMTViT', arch='b', img_size=224, num_frames=num_frames,
                  drop_path_rate=0.1, use_mean_pooling=True),
    # official head init: trunc_normal(std=.02) x init_scale 0.001 -> std 2e-5, bias 0
    cls_head=dict(type='TimeSformerHead', num_classes=num_classes, in_channels=768,
                  init_std=2e-5, average_clips='prob',
                  loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
                  # smoothing applied to the mixup / cutmix soft targets = timm's Mixup(
                  # label_smoothing=0.1) + SoftTargetCrossEntropy of the official code
                  label_smooth_eps=0.1),
    data_preprocessor=dict(
        type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], format_shape='NCTHW',
        blending=dict(type='RandomBatchAugment', augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
            dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)])))

# stage-1 checkpoint converted with `tools/convert_checkpoint.py umt b16_ptk710_f8_res224.pth
# OUT` (keys backbone.* / clip_decoder.*; the latter are ignored here)
load_from = None

# 8 frames, one per equal segment (TSN-style, the official Kinetics_sparse), train with two
# repeated augmentations; val 1 clip centre crop, test 4 clips x 3 crops
train_pipeline = [
    dict(type='VideoInit'), dict(type='UniformSample', clip_len=num_frames, num_clips=1),
    dict(type='VideoDecode'), *_base_.train_transforms
]
val_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1, test_mode=True),
    dict(type='VideoDecode'), *_base_.val_transforms
]
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=4, test_mode=True),
    dict(type='VideoDecode'), *_base_.test_transforms
]
train_dataloader = dict(batch_size=16, num_workers=12, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=16, dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(batch_size=4, dataset=dict(pipeline=test_pipeline))

max_epochs = 35
warmup_epochs = 2
gpus = 16
num_sample = 2
lr = 2e-4 * 16 * gpus * num_sample / 256
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1,
                 val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='AmpOptimWrapper', dtype='bfloat16',
    optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.75))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_best='acc/top1',
                                     rule='greater'))
auto_scale_lr = dict(enable=False, base_batch_size=256)
