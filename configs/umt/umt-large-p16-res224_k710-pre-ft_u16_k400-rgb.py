# UMT-L/16 K710 -> K710 ft -> K400 with 16 frames (paper 90.6 top-1, 16x224, 4 clips x 1 centre
# crop). Official: single_modality/exp/finetuning/k400/l16_ptk710_ftk710_ftk400_f16_res224.sh
# (16 GPUs x 8, num_sample 2, 5 epochs, warmup 1, lr 1e-5 * bs * num_sample / 256, layer decay
# 0.85, drop path 0.2; test 4 segments x 1 crop). The 8-frame sinusoid is resampled to 16 frames
# (a frozen `pos_embed` Parameter, as the official model).
_base_ = ['./umt-large-p16-res224_k710-pre-ft_u8_k400-rgb.py']

num_frames = 16
model = dict(backbone=dict(num_frames=num_frames))
train_pipeline = [  # [VideoInit, sampler, VideoDecode, ...]: 16 segments
    *_base_.train_pipeline[:1], dict(_base_.train_pipeline[1], clip_len=num_frames),
    *_base_.train_pipeline[2:]
]
val_pipeline = [
    *_base_.val_pipeline[:1], dict(_base_.val_pipeline[1], clip_len=num_frames),
    *_base_.val_pipeline[2:]
]
test_pipeline = [  # 4 clips x 1 centre crop (the val transforms)
    *_base_.test_pipeline[:1], dict(_base_.test_pipeline[1], clip_len=num_frames),
    *_base_.test_pipeline[2:3], *_base_.val_transforms
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

lr = 1e-5 * 8 * 16 * 2 / 256
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=4, eta_min=1e-6, by_epoch=True, begin=1, end=5,
         convert_to_iter_based=True)
]
