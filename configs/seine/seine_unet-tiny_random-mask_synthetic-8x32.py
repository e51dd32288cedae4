# A tiny SEINE trained on the synthetic world on CPU (minutes): pixel space (identity VAE,
# 4x4 space-to-depth), 8 frames of 32x32, random masks (transition / prediction /
# image-to-video / unconditional), the clip's caption (which names the moving object and its
# direction) through a tiny CLIP text model. The SEINE recipe otherwise: ADM linear schedule, noise on the latent channels
# only, text dropout 0.1 (classifier-free guidance), EMA.
#   .venv/bin/python tools/train.py configs/seine/seine_unet-tiny_random-mask_synthetic-8x32.py
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.seine'], allow_failed_imports=False)

num_frames, img_size = 8, 32  # 8 frames of 32 x 32
text_dim = 32  # width of the tiny CLIP text model = the UNet's cross_attention_dim
model = dict(
    type='SEINE',
    # latents: the frames in 4x4 space-to-depth cells (identity "VAE": 48 x 8 x 8 per frame)
    unet=dict(type='SEINEUNet', in_channels=2 * 48 + 1, out_channels=48,
              down_block_types=['CrossAttnDownBlock3D', 'CrossAttnDownBlock3D'],
              up_block_types=['CrossAttnUpBlock3D', 'CrossAttnUpBlock3D'],
              block_out_channels=[32, 64], layers_per_block=1, norm_num_groups=8,
              cross_attention_dim=text_dim, attention_head_dim=[2, 4], rotary_dim=8),
    # differs from SEINE on purpose: the tiny pixel-space model predicts x_0 (eps prediction
    # at a CPU budget diverges when sampled, README) and x_0 is clipped to [-1, 1]
    scheduler=dict(prediction_type='sample', clip_sample=True),
    vae=dict(type='IdentityVAE', patch_size=4),
    # SEINE freezes a pretrained CLIP ViT-L/14 text tower; with no pretrained weights here a
    # tiny random-init CLIP text model over the synthetic world's words is trained with the
    # UNet (trainable=False keeps it frozen, as upstream)
    text_encoder=dict(config=dict(hidden_size=text_dim, intermediate_size=2 * text_dim,
                                  num_hidden_layers=2, num_attention_heads=2),
                      tokenizer=dict(type='BertTokenizer', vocab='synthetic'), max_length=24,
                      trainable=True),
    mask_mix=dict(transition=0.45, prediction=0.05, i2v=0.45, unconditional=0.05),
    max_given=1, text_dropout=0.1)

train_dataloader = dict(
    batch_size=8, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='SyntheticVideoDataset', num_samples=1024, seed=0, task='direction',
                 num_frames=num_frames, size=img_size, split='train', cache_clips=True,
                 world_cfg=dict(noise=0, max_objects=2, object_size=(0.28, 0.38)),
                 pipeline=[dict(type='FormatShape', input_format='NCTHW'),
                           dict(type='PackActionInputs', meta_keys=('img_shape', 'caption'))]))

max_iters = 2000
lr = 4e-3
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.999), weight_decay=0.0),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [dict(type='OneCycleLR', eta_max=lr, total_steps=max_iters, pct_start=0.05,
                        by_epoch=False)]
custom_hooks = [dict(type='EMAHook', momentum=0.01, update_buffers=True)]
default_hooks = dict(logger=dict(interval=25),
                     checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1,
                                     save_best=None))
log_processor = dict(by_epoch=False)
