# Harvest (2310.19554): post-pretraining CLIP ViT-B/16 into a video model on WebVid-10M only,
# with VTC + text masking (MLM through the fusion decoder) + random video patch dropping.
# Hyper-parameters: the official CoTrain config `clip_kc_nc_vtc_mim_nd_mlm_choice` (InternVideo1
# multi-modalities, the only objective set matching the paper): 8 frames, mlm_prob 0.15,
# mim_prob 0.9, frozen CLIP text tower, AdamW lr 1e-5 (betas 0.9/0.98, eps 1e-6, wd 0.2, none
# on 1-D params / embeddings / logit_scale), 4000 warmup steps then cosine to 0, 10 epochs,
# global batch 1024 (128 x 8 GPUs). These are CODE defaults; the paper's own values are
# unverified (see projects/harvest/README.md).
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.harvest'], allow_failed_imports=False)

num_frames = 8
img_size = 224
# the OpenAI CLIP release (TorchScript .pt) or an open_clip file, at a local path
clip_checkpoint = 'checkpoints/clip/ViT-B-16.pt'
model = dict(
    type='Harvest',
    backbone=dict(type='HarvestViT', arch='b16', input_resolution=img_size),
    text_encoder=dict(type='HarvestCLIPText', arch='b', context_length=77),
    tokenizer=dict(type='CLIPTokenizer', context_length=77),
    # official CaptionDecoder: 4 layers, 256 queries, heads = text width // 64
    fusion_decoder=dict(n_layers=4, num_visual_queries=256),
    video_drop_ratio=0.9,
    mlm_prob=0.15,
    freeze_text=True,
    max_txt_len=77,
    losses=dict(vtc=dict(type='VTCLoss'), mlm=dict(type='MLMLoss')),
    init_cfg=dict(type='HarvestPretrained', checkpoint=clip_checkpoint))

dataset_type = 'VideoTextDataset'
data_root = 'data/webvid/videos'
train_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1),
    dict(type='VideoDecode'),
    # [unverified] the official 'open_clip' video transform; open_clip's image training
    # transform is RandomResizedCrop(scale 0.9-1, bicubic)
    dict(type='RandomResizedCrop', area_range=(0.9, 1.0)),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False, interpolation='bicubic'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('img_shape', 'text'))
]
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False, interpolation='bicubic'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('img_shape', 'text', 'sample_idx'))
]
train_dataloader = dict(
    batch_size=128, num_workers=12, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, ann_file='data/webvid/train.json',
                 data_prefix=dict(video=data_root), pipeline=train_pipeline))
# zero-shot MSR-VTT 1k-A retrieval (the official run validates on multiple choice instead)
val_dataloader = dict(
    batch_size=32, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file='data/msrvtt/test_JSFUSION.json',
                 data_prefix=dict(video='data/msrvtt/videos'), pipeline=test_pipeline,
                 test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='VideoTextRetrievalMetric', dual_softmax=True)
test_evaluator = val_evaluator

max_epochs = 10
warmup_iters = 4000
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='VideoTextRetrievalValLoop')
test_cfg = dict(type='VideoTextRetrievalTestLoop')
optim_wrapper = dict(
    type='AmpOptimWrapper', dtype='float16',  # official precision 16
    optimizer=dict(type='AdamW', lr=1e-5, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.2),
    # official: no decay on 1-D params (biases, norms, balance, class embedding), embeddings,
    # logit_scale and the temporal [CLS]
    paramwise_cfg=dict(flat_decay_mult=0., custom_keys={
        'embedding': dict(decay_mult=0.), 'logit_scale': dict(decay_mult=0.),
        'temporal_cls_token': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0., by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True)
]
auto_scale_lr = dict(enable=False, base_batch_size=1024)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2,
                                     save_best='retrieval/t2v_R@1', rule='greater'))
