# UMT-L/16 K710-pretrained -> SSv2 (paper 74.7 top-1, 8x224, 2 clips x 3 crops).
# Official: single_modality/exp/finetuning/ssv2/l16_ptk710_ftssv2_f8_res224.sh (from the
# stage-1 l16_ptk710_f8_res224.pth; 16 GPUs x 16, num_sample 2, 14 epochs, warmup 4,
# lr 4e-4 * bs * num_sample / 256, layer decay 0.85, drop path 0.2).
_base_ = ['./umt-base-p16-res224_k710-pre_u8_ssv2-rgb.py']

model = dict(backbone=dict(arch='l', drop_path_rate=0.2), cls_head=dict(in_channels=1024))

max_epochs = 14
warmup_epochs = 4
lr = 4e-4 * 16 * 16 * 2 / 256
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=lr), paramwise_cfg=dict(layer_decay_rate=0.85))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
