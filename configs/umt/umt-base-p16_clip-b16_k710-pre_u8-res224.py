# UMT stage 1 (B/16): CLIP ViT-B/16 teacher, semantic masking 0.8, align the last 6 layers.
# Official: single_modality/exp/pretraining/b16_ptk710_f8_res224.sh (32 GPUs x 64 clips,
# 201 epochs, lr 1.5e-4 * bs / 256, AdamW (0.9, 0.95), wd 0.05, warmup 40, drop path 0.1).
_base_ = [
    '../_base_/models/umt_vit-base-p16_clip-b16_pretrain.py',
    '../_base_/datasets/video_pretrain.py',
    '../_base_/schedules/pretrain_adamw_warmup-cosine.py', '../_base_/default_runtime.py'
]
custom_imports = dict(imports=['projects.umt'], allow_failed_imports=False)

num_frames = 8

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

# warm-up from 1e-3 x lr, cosine to 1e-5; position embeddings without weight decay
gpus = 32
batch_size = 64
max_epochs = 201
warmup_epochs = 40
lr = 1.5e-4 * batch_size * gpus / 256
train_cfg = dict(max_epochs=max_epochs, val_interval=1000)
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-5,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=2, save_best=None))
auto_scale_lr = dict(base_batch_size=2048)
