# A tiny SEINE trained on the synthetic world on CPU (minutes): pixel space (identity VAE),
# 8 frames of 16x16, random masks (transition / prediction / image-to-video / unconditional),
# no text (one zero token). The SEINE recipe otherwise: ADM linear schedule, eps MSE, EMA.
#   .venv/bin/python tools/train.py configs/seine/seine_unet-tiny_random-mask_synthetic-8x16.py
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.seine'], allow_failed_imports=False)

num_frames = 8
img_size = 16
model = dict(
    type='SEINE',
    unet=dict(type='SEINEUNet', in_channels=7, out_channels=3,
              down_block_types=['CrossAttnDownBlock3D', 'DownBlock3D'],
              up_block_types=['UpBlock3D', 'CrossAttnUpBlock3D'],
              block_out_channels=[16, 32], layers_per_block=1, norm_num_groups=8,
              cross_attention_dim=16, attention_head_dim=[1, 2], rotary_dim=8),
    # differs from SEINE on purpose: the tiny pixel-space model predicts x_0 (eps prediction
    # at 300 CPU iterations diverges when sampled, README) and x_0 is clipped to [-1, 1]
    scheduler=dict(prediction_type='sample', clip_sample=True),
    vae=None, text_encoder=None,
    mask_mix=dict(transition=0.5, prediction=0.1, i2v=0.3, unconditional=0.1),
    max_given=1, text_dropout=0.1)

train_dataloader = dict(
    batch_size=4, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='SyntheticVideoDataset', num_samples=512, seed=0, task='direction',
                 num_frames=num_frames, size=img_size, split='train', cache_clips=True,
                 world_cfg=dict(noise=0),
                 pipeline=[dict(type='FormatShape', input_format='NCTHW'),
                           dict(type='PackActionInputs')]))

max_iters = 2000
lr = 4e-3
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.999), weight_decay=0.0),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [dict(type='OneCycleLR', eta_max=lr, total_steps=max_iters, pct_start=0.05,
                        by_epoch=False)]
custom_hooks = [dict(type='EMAHook', momentum=0.01, update_buffers=True)]
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1,
                                     save_best=None))
log_processor = dict(by_epoch=False)
