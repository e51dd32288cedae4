# UMT-L/16 K710 -> K710 ft -> K400 (paper 90.3 top-1, 8x224). Official:
# single_modality/exp/finetuning/k400/l16_ptk710_ftk710_ftk400_f8_res224.sh (lr 1e-5, layer
# decay 0.85, drop path 0.2).
_base_ = ['./umt-base-p16-res224_k710-pre-ft_u8_k400-rgb.py']

model = dict(backbone=dict(arch='l', drop_path_rate=0.2), cls_head=dict(in_channels=1024))
lr = 1e-5 * 16 * 16 * 2 / 256
optim_wrapper = dict(optimizer=dict(lr=lr), paramwise_cfg=dict(layer_decay_rate=0.85))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=4, eta_min=1e-6, by_epoch=True, begin=1, end=5,
         convert_to_iter_based=True)
]
