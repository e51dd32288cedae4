# ViT-B/16 SSv2 fine-tuning from a VideoMAE V2 pre-trained encoder.
# Official: scripts/finetune/vit_b_ssv2_ft.sh (16 GPUs x 16, num_sample 2, 25 epochs,
# warmup 5 (default), lr 2e-3 * 16 * 16 / 256, layer decay 0.65, drop path 0.1, wd 0.05).
_base_ = ['./vit-giant-p14_videomaev2-pt_ssv2-ft_16x2x3-res224.py']

pretrained = 'checkpoints/vit_b_hybrid_pt_800e.pth'
model = dict(
    backbone=dict(arch='b', drop_path_rate=0.1, with_cp=False,
                  init_cfg=dict(type='VideoMAEv2Pretrained', checkpoint=pretrained)),
    cls_head=dict(in_channels=768))
train_dataloader = dict(batch_size=16)

gpus = 16
batch_size = 16
max_epochs = 25
warmup_epochs = 5
lr = 2e-3 * batch_size * gpus / 256
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=lr, weight_decay=0.05),
                     paramwise_cfg=dict(layer_decay_rate=0.65), clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-8 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6 * batch_size * gpus / 256, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, convert_to_iter_based=True)
]
