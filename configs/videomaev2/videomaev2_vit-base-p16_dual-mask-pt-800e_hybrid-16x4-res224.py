# VideoMAE V2 pre-training of ViT-B/16 with dual masking on UnlabeledHybrid.
# Official: scripts/pretrain/vit_b_hybrid_pt.sh (32 GPUs x 32 clips, num_sample 4 repeated
# augmentation, 200 epochs x 4 = "800e", lr 1e-3 * 32 * 32 / 256, AdamW (0.9, 0.95), wd 0.05,
# warmup 20 epochs from 1e-6, cosine to 1e-5; tube mask 0.9, running-cell decoder mask 0.5,
# decoder depth 4; 16 frames, sampling interval 4 (2 for SSv2), 224 px multi-scale crop).
# data: UnlabeledHybrid as a video list ("path label", dummy labels), 16 x 4, num_sample 4
_base_ = ['../_base_/datasets/video_pretrain.py', '../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.videomaev2'], allow_failed_imports=False)

arch = 'b'
num_frames = 16
img_size = 224
model = dict(
    type='VideoMAEv2',
    backbone=dict(type='VideoViT', arch=arch, img_size=img_size, num_frames=num_frames,
                  tubelet_size=2, drop_path_rate=0., use_mean_pooling=False, out_type='raw'),
    # decoder width / heads: 192 / 3 (S), 384 / 6 (B), 512 / 8 (L, H, g); mlp_ratio = encoder's
    decoder=dict(type='VideoMAEv2Decoder', embed_dim=384, depth=4, num_heads=6, mlp_ratio=4.),
    loss=dict(type='NormalizedPixelLoss'),
    mask_type='tube', mask_ratio=0.9,
    decoder_mask_type='run_cell', decoder_mask_ratio=0.5,
    norm_pix=True,
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], format_shape='NCTHW'))

gpus = 32
batch_size = 32  # per GPU, as the official --batch_size (lr scaling ignores num_sample)
epochs = 200
warmup_epochs = 20
lr = 1e-3 * batch_size * gpus / 256
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs)
optim_wrapper = dict(
    type='AmpOptimWrapper', dtype='bfloat16',
    optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.,
                       custom_keys={'pos_embed': dict(decay_mult=0.),
                                    'mask_token': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=epochs - warmup_epochs, eta_min=1e-5 * batch_size *
         gpus / 256, by_epoch=True, begin=warmup_epochs, end=epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=20, max_keep_ckpts=3, save_best=None))
log_processor = dict(by_epoch=True)
auto_scale_lr = dict(enable=False, base_batch_size=256)
