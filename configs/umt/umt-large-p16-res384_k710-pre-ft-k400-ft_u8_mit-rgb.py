# UMT-L/16 at 384 px on Moments in Time V1 (paper 48.7 top-1, 8x384, 6 clips x 3 crops).
# Official: single_modality/exp/finetuning/mitv1/l16_ptk710_ftk710_ftk400_ftmitv1_f8_res384.sh
# (--finetune l16_ptk710_ftk710_ftk400_f8_res224.pth; 16 GPUs x 8, num_sample 1, 4 epochs,
# warmup 1, lr 1e-5 * bs / 256, layer decay 0.85, drop path 0.2, wd 0.1; test 6 x 3).
_base_ = ['./umt-base-p16-res384_k710-pre-ft-k400-ft_u8_mit-rgb.py']

model = dict(backbone=dict(arch='l', drop_path_rate=0.2), cls_head=dict(in_channels=1024))
test_pipeline = [  # [VideoInit, sampler, VideoDecode, ...]: 6 clips instead of 4
    *_base_.test_pipeline[:1], dict(_base_.test_pipeline[1], num_clips=6),
    *_base_.test_pipeline[2:]
]
train_dataloader = dict(batch_size=8)
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

lr = 1e-5 * 8 * 16 / 256
optim_wrapper = dict(optimizer=dict(lr=lr), paramwise_cfg=dict(layer_decay_rate=0.85))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=3, eta_min=1e-6, by_epoch=True, begin=1, end=4,
         convert_to_iter_based=True)
]
