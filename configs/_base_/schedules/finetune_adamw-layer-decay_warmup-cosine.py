# Fine-tuning schedule of UMT and VideoMAE V2 (run_class_finetuning.py): AdamW with layer-wise
# lr decay under bf16 AMP, a linear warm-up from 1e-6 for `warmup_epochs`, then cosine
# to 1e-6 at `max_epochs`, stepped every iteration; validate every 5 epochs.
# Defaults: UMT-B/16 on K710 (16 GPUs x 16 clips x num_sample 2). mmengine evaluates a config
# as it reads it, so a leaf that changes lr or the epochs restates `param_scheduler` too.
max_epochs = 35
warmup_epochs = 2
lr = 2e-4 * 16 * 16 * 2 / 256
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1,
                 val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='AmpOptimWrapper', dtype='bfloat16',
    optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.75))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
auto_scale_lr = dict(enable=False, base_batch_size=256)
