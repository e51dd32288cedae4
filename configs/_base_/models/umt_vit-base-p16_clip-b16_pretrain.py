# UMT stage 1 (B/16, 8 frames, 224 px): the student aligns its unmasked tokens with a frozen
# CLIP ViT-B/16 teacher's last 6 layers, semantic masking 0.8 (single_modality/models/umt.py).
_base_ = ['./imagenet_preprocessor.py']

model = dict(
    type='UMT',
    backbone=dict(type='UMTViT', arch='b', img_size=224, num_frames=8, tubelet_size=1,
                  drop_path_rate=0.1, use_mean_pooling=False, pos_embed_base_thw=None),
    # real weights: an OpenAI / open_clip ViT-B/16 visual state dict, converted with
    # `tools/convert_checkpoint.py umt clip_vit_b16.pth teacher.pth` (keys `teacher.*`)
    teacher=dict(type='CLIPVisual', arch='b16', input_resolution=224, return_layers=6,
                 init_cfg=None),
    clip_return_layer=6,
    mask_ratio=0.8,
    loss=dict(type='AlignLoss', loss_type='l2'),
    data_preprocessor=_base_.imagenet_preprocessor)
