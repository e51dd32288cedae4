# ViT-g/14: pre-train (1200e) -> SSv2 (paper: 77.0 top-1, 16x2x3 views). SSv2 starts from the
# raw pre-trained encoder (no K710 post-pre-training).
# Official: scripts/finetune/vit_g_ssv2_ft.sh (32 GPUs x 3, 20 epochs, warmup 5,
# lr 3e-4 * 3 * 32 / 256, drop path 0.25, layer decay 0.9, wd 0.05; sparse (TSN-style)
# sampling of 16 segments, no flip; test 2 clips x 3 crops).
_base_ = ['./vit-giant-p14_videomaev2-pt_k710-ft_16x4x5-res224.py']

num_frames = 16
num_classes = 174
model = dict(
    backbone=dict(drop_path_rate=0.25),
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(blending=dict(augments=[
        dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
        dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)])))

data_root = 'data/sthv2/videos'
train_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop', area_range=(0.08, 1.0)),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    # RandAug m7-n4 through pytorchvideo (pip install pytorchvideo), as mmaction2's configs
    dict(type='PytorchVideoWrapper', op='RandAugment', magnitude=7, num_layers=4),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand'),
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
test_pipeline = [  # 16 frames x 2 clips x 3 crops
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=2, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='ThreeCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
train_dataloader = dict(dataset=dict(
    ann_file='data/sthv2/sthv2_train_list_videos.txt', data_prefix=dict(video=data_root),
    pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    ann_file='data/sthv2/sthv2_val_list_videos.txt', data_prefix=dict(video=data_root),
    pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(
    ann_file='data/sthv2/sthv2_val_list_videos.txt', data_prefix=dict(video=data_root),
    pipeline=test_pipeline))

gpus = 32
batch_size = 3
max_epochs = 20
warmup_epochs = 5
lr = 3e-4 * batch_size * gpus / 256
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=lr, weight_decay=0.05), clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-8 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6 * batch_size * gpus / 256, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, convert_to_iter_based=True)
]
