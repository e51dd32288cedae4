# VideoMAE V2 pre-training of ViT-g/14 (1.01B) with dual masking: the paper's model.
# Official: scripts/pretrain/vit_g_hybrid_pt.sh (64 A100-80G x 32 clips, num_sample 4,
# 300 epochs x 4 = "1200e", lr 6e-4 * 32 * 64 / 256, clip_grad 0.02, warmup 30 epochs,
# --with_checkpoint). Activation checkpointing is on for encoder and decoder; for sharding
# use the `_fsdp` variant.
_base_ = ['./videomaev2_vit-base-p16_dual-mask-pt-800e_hybrid-16x4-res224.py']

model = dict(
    backbone=dict(arch='g', with_cp=True),
    decoder=dict(embed_dim=512, num_heads=8, mlp_ratio=48 / 11, with_cp=True))

gpus = 64
batch_size = 32
max_epochs = 300
warmup_epochs = 30
lr = 6e-4 * batch_size * gpus / 256
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=lr), clip_grad=dict(max_norm=0.02))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-5 * batch_size * gpus / 256, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=5))
