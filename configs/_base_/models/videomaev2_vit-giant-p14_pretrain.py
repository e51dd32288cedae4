# VideoMAE V2 dual-masking pre-training model, ViT-g/14 (1.01B), activation checkpointing in
# encoder and decoder (the official --with_checkpoint).
_base_ = ['./videomaev2_vit-base-p16_pretrain.py']

model = dict(
    backbone=dict(arch='g', with_cp=True),
    decoder=dict(embed_dim=512, num_heads=8, mlp_ratio=48 / 11, with_cp=True))
