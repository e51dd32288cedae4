# SEINE random-mask training at the paper's setting on GPUs (the official repo has no training
# code, issue #14): SD-1.4 UNet inflated with temporal attention (initialised from LaVie-base,
# as the paper; `source='sd14'` starts from SD-1.4 instead), 16 frames at 320x512, the SD-1.4
# VAE and frozen CLIP text encoder, text dropout 0.1, EMA, bf16 autocast, gradient
# checkpointing, DDP. Fill the paths (local files; nothing is downloaded):
#   torchrun --nproc_per_node 8 tools/train.py \
#     configs/seine/seine_unet-sd14_random-mask_webvid-16x320x512.py --launcher pytorch
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.seine'], allow_failed_imports=False)

sd_root = 'data/pretrained/stable-diffusion-v1-4'
lavie_unet = 'data/pretrained/lavie_base.pt'
data_root = 'data/webvid'
num_frames = 16

model = dict(
    type='SEINE',
    unet=dict(type='SEINEUNet', config=f'{sd_root}/unet'),  # SD-1.4 config, 9 input channels
    scheduler=dict(),  # ADM linear 1e-4 -> 0.02, T=1000, eps prediction (official)
    vae=dict(pretrained=f'{sd_root}/vae'),
    text_encoder=dict(pretrained=sd_root),
    # the paper's mask kinds; the mix is not published (our choice, README)
    mask_mix=dict(transition=0.4, prediction=0.2, i2v=0.3, unconditional=0.1),
    max_given=2, text_dropout=0.1, grad_checkpointing=True,
    init_cfg=dict(type='SEINEPretrained', checkpoint=lavie_unet, source='lavie'))

train_pipeline = [
    dict(type='VideoInit'),
    dict(type='VideoSampleFrames', clip_len=num_frames, frame_interval=3, num_clips=1),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(-1, 320)),
    dict(type='CenterCrop', crop_size=(512, 320)),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('caption', ))
]
train_dataloader = dict(
    batch_size=4, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='VideoTextJsonlDataset', ann_file=f'{data_root}/train.jsonl',
                 data_prefix=dict(video=f'{data_root}/videos'), precut=True,
                 pipeline=train_pipeline))

max_iters = 200000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
optim_wrapper = dict(type='AmpOptimWrapper', dtype='bfloat16',
                     optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.0),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=1000)]
custom_hooks = [dict(type='EMAHook', momentum=1e-4, update_buffers=True)]
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(by_epoch=False, interval=5000, max_keep_ckpts=3,
                                     save_best=None))
log_processor = dict(by_epoch=False)
