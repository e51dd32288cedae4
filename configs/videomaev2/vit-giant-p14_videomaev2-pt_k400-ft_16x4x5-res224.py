# ViT-g/14: pre-train (1200e) -> K400 directly, no post-pre-training (paper: 87.2 top-1,
# 16x5x3). Official: scripts/finetune/vit_g_k400_ft.sh (64 GPUs x 3, num_sample 2,
# 30 epochs, warmup 5, lr 1e-3 * 3 * 64 / 256, drop path 0.2, layer decay 0.9, wd 0.1).
_base_ = ['./vit-giant-p14_videomaev2-pt-k710-ft_k400-ft_16x4x5-res224.py']

pretrained = 'checkpoints/vit_g_hybrid_pt_1200e.pth'
model = dict(backbone=dict(
    drop_path_rate=0.2,
    init_cfg=dict(_delete_=True, type='VideoMAEv2Pretrained', checkpoint=pretrained)))
load_from = None

gpus = 64
batch_size = 3
max_epochs = 30
warmup_epochs = 5
lr = 1e-3 * batch_size * gpus / 256
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
optim_wrapper = dict(optimizer=dict(lr=lr), clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-8 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6 * batch_size * gpus / 256, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, convert_to_iter_based=True)
]
