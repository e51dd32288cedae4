# UMT-L/16 fine-tuning on K710 from the stage-1 checkpoint (paper: 86.0 top-1 on K710).
# Official: single_modality/exp/finetuning/k710/l16_ptk710_ftk710_f8_res224.sh (16 GPUs x 16,
# num_sample 2, 20 epochs, warmup 2, lr 1e-4 * bs * num_sample / 256, layer decay 0.85, drop
# path 0.2; activation checkpointing of 12 blocks, memory only).
_base_ = ['./umt-base-p16-res224_k710-pre-ft_u8_k710-rgb.py']

model = dict(backbone=dict(arch='l', drop_path_rate=0.2), cls_head=dict(in_channels=1024))

max_epochs = 20
warmup_epochs = 2
lr = 1e-4 * 16 * 16 * 2 / 256
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=lr), paramwise_cfg=dict(layer_decay_rate=0.85))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
