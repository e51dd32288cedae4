# VideoMAE V2 dual-masking pre-training model, ViT-B/16 (16 frames, 224 px): tube encoder
# mask 0.9, running-cell decoder mask 0.5, 4-block decoder, normalised-pixel loss.
_base_ = ['./imagenet_preprocessor.py']

model = dict(
    type='VideoMAEv2',
    backbone=dict(type='VideoViT', arch='b', img_size=224, num_frames=16, tubelet_size=2,
                  drop_path_rate=0., use_mean_pooling=False, out_type='raw'),
    # decoder width / heads: 192 / 3 (S), 384 / 6 (B), 512 / 8 (L, H, g); mlp_ratio = encoder's
    decoder=dict(type='VideoMAEv2Decoder', embed_dim=384, depth=4, num_heads=6, mlp_ratio=4.),
    loss=dict(type='NormalizedPixelLoss'),
    mask_type='tube', mask_ratio=0.9,
    decoder_mask_type='run_cell', decoder_mask_ratio=0.5,
    norm_pix=True,
    data_preprocessor=_base_.imagenet_preprocessor)
