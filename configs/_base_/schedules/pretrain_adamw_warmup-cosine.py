# Self-supervised pre-training schedule of UMT stage 1 and VideoMAE V2: AdamW (0.9, 0.95),
# wd 0.05 except norms, biases and position embeddings, bf16 AMP; linear warm-up then cosine,
# stepped every iteration. Defaults: VideoMAE V2 ViT-B (32 GPUs x 32 clips, 200 epochs,
# warm-up 20 from 1e-6, cosine to 1e-5 scaled like lr). A leaf that changes lr or the epochs
# restates `param_scheduler` (mmengine evaluates a config as it reads it).
gpus = 32
batch_size = 32  # per GPU, as the official --batch_size (lr scaling ignores num_sample)
max_epochs = 200
warmup_epochs = 20
lr = 1e-3 * batch_size * gpus / 256
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
optim_wrapper = dict(
    type='AmpOptimWrapper', dtype='bfloat16',
    optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.,
                       custom_keys={'pos_embed': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-5 * batch_size * gpus / 256, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, convert_to_iter_based=True)
]
auto_scale_lr = dict(enable=False, base_batch_size=256)
