# UMT stage 1 (B/16): CLIP ViT-B/16 teacher, semantic masking 0.8, align the last 6 layers.
# Official: single_modality/exp/pretraining/b16_ptk710_f8_res224.sh (32 GPUs x 64 clips,
# 201 epochs, lr 1.5e-4 * bs / 256, AdamW (0.9, 0.95), wd 0.05, warmup 40, drop path 0.1).
_base_ = ['../_base_/datasets/video_pretrain.py', '../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.umt'], allow_failed_imports=False)

num_frames = 8
model = dict(
    type='UMT',
    backbone=dict(type='UMTViT', arch='b', img_size=224, num_frames=num_frames,
                  tubelet_size=1, drop_path_rate=0.1, use_mean_pooling=False,
                  pos_embed_base_thw=None),
    # real weights: an OpenAI / open_clip ViT-B/16 visual state dict, converted with
    # `tools/convert_checkpoint.py umt clip_vit_b16.pth teacher.pth` (keys `teacher.*`)
    teacher=dict(type='CLIPVisual', arch='b16', input_resolution=224, return_layers=6,
                 init_cfg=None),
    clip_return_layer=6,
    mask_ratio=0.8,
    loss=dict(type='AlignLoss', loss_type='l2'),
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], format_shape='NCTHW'))

# K710, 8 sparse frames (one per segment), multi-scale crop + flip, no repeated augmentation
data_root = 'data/k710/videos'
ann_file_train = 'data/k710/k710_train_list_videos.txt'
num_sample = 1
train_pipeline = [
    dict(type='VideoInit'), dict(type='UniformSample', clip_len=num_frames, num_clips=1),
    dict(type='VideoDecode'), *_base_.train_transforms[:3],  # resize, multi-scale crop, resize
    dict(type='Flip', flip_ratio=0.5), *_base_.train_transforms[3:]
]
train_dataloader = dict(
    batch_size=64, num_workers=12, collate_fn=dict(_delete_=True, type='pseudo_collate'),
    dataset=dict(_delete_=True, type='VideoDataset',
                 ann_file=ann_file_train, data_prefix=dict(video=data_root),
                 pipeline=train_pipeline))

max_epochs = 201
warmup_epochs = 40
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1000)
optim_wrapper = dict(
    type='AmpOptimWrapper', dtype='bfloat16',
    optimizer=dict(type='AdamW', lr=1.5e-4 * 64 * 32 / 256, betas=(0.9, 0.95),
                   weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.,
                       custom_keys={'pos_embed': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-5,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=2, save_best=None))
auto_scale_lr = dict(enable=False, base_batch_size=2048)
