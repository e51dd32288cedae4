# UMT-L/16 K710 -> K710 ft -> K400 ft -> Moments in Time V1 (paper 48.0 top-1, 8x224, 4 x 3
# views), from l16_ptk710_ftk710_ftk400_f8_res224.pth. Official:
# single_modality/exp/finetuning/mitv1/l16_ptk710_ftk710_ftk400_ftmitv1_f8_res224.sh (16 GPUs x
# 32, num_sample 1, 20 epochs, warmup 5, lr 1e-4 * bs / 256, layer decay 0.85, drop path 0.2).
_base_ = ['./umt-base-p16-res224_k710-pre-ft-k400-ft_u8_mit-rgb.py']

model = dict(backbone=dict(arch='l', drop_path_rate=0.2), cls_head=dict(in_channels=1024))

max_epochs = 20
warmup_epochs = 5
lr = 1e-4 * 32 * 16 / 256
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.85))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
