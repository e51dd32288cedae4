# ViT-B/16 K710 fine-tuning from a VideoMAE V2 pre-trained encoder (the post-pre-training
# step of the distilled students).
# Official: scripts/finetune/vit_b_k710_ft.sh (32 GPUs x 16, num_sample 2, 90 epochs,
# warmup 5, lr 7e-4 * 16 * 32 / 256, layer decay 0.75, drop path 0.1, wd 0.05, no clipping).
_base_ = ['./vit-giant-p14_videomaev2-pt_k710-ft_16x4x5-res224.py']

pretrained = 'checkpoints/vit_b_hybrid_pt_800e.pth'
model = dict(
    backbone=dict(arch='b', drop_path_rate=0.1, with_cp=False,
                  init_cfg=dict(type='VideoMAEv2Pretrained', checkpoint=pretrained)),
    cls_head=dict(in_channels=768))
train_dataloader = dict(batch_size=16)

gpus = 32
batch_size = 16
max_epochs = 90
warmup_epochs = 5
lr = 7e-4 * batch_size * gpus / 256
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=lr, weight_decay=0.05),
                     paramwise_cfg=dict(layer_decay_rate=0.75), clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-8 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6 * batch_size * gpus / 256, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, convert_to_iter_based=True)
]
