# Harvest with CLIP ViT-L/14 (extractor after blocks 20-23); the rest of the B/16 recipe.
_base_ = ['./harvest-base-p16_clip-b16_webvid10m-pre_u8-res224.py']

clip_checkpoint = 'checkpoints/clip/ViT-L-14.pt'
model = dict(
    backbone=dict(arch='l14'),
    text_encoder=dict(arch='l'),
    init_cfg=dict(checkpoint=clip_checkpoint))
