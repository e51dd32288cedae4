# ViCLIP-L/14 stage 1 on InternVid-10M-FLT: CLIP-initialised joint space-time ViT, 90 % of the
# patch tokens dropped (205 of 2048 kept), frozen CLIP text tower, VTC only. Official:
# InternVideo1/Pretrain/ViCLIP exp/exp_pretrain_ViCLIP/our_0613_filtered/config.py
# (8 random-in-segment frames at 224 px, 64 GPUs x 512 clips, AdamW lr 4e-4 betas (0.9, 0.98)
# wd 0.2, cosine 10 epochs with 0.5 warm-up and min lr 0.01x, fp16, 24 checkpointed blocks).
# Stage 2 ("unmasked tuning"): ./viclip-large-p14_internvid-10m-flt_stage2-unmasked_u8-res224.py
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.viclip'], allow_failed_imports=False)

num_frames = 8
img_size = 224
max_txt_len = 32
model = dict(
    type='ViCLIP',
    vision_encoder=dict(type='CLIPVideoViT', arch='l14', input_resolution=img_size,
                        num_frames=num_frames, drop_path_rate=0.1, checkpoint_num=24),
    text_encoder=dict(type='CLIPTextTransformer', arch='l', context_length=max_txt_len),
    tokenizer=dict(type='CLIPTokenizer', context_length=max_txt_len),
    temp=1 / 100., temp_min=1 / 100.,
    masking_prob=0.9,
    freeze_text=True,
    max_txt_len=max_txt_len,
    losses=dict(vtc=dict(type='VTCLoss', all_gather=True)),
    # ImageNet statistics: the official data pipeline picks them for every "vit" encoder
    # (CLIP's own statistics differ; see projects/viclip/README.md, known issues)
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], format_shape='NCTHW'))
# the CLIP image-text model it starts from (OpenAI ViT-L/14 per the run scripts):
# `tools/convert_checkpoint.py viclip/from_clip ViT-L-14.pt OUT` then load_from=OUT
load_from = None

data_root = 'data/internvid/videos'
train_pipeline = [
    dict(type='VideoInit'),
    dict(type='ClipWindow'),  # cut Start_timestamp..End_timestamp (no-op for pre-cut clips)
    dict(type='ViCLIPSegmentSample', clip_len=num_frames, sample='rand'),  # official 'rand'
    dict(type='VideoDecode'),
    dict(type='RandomResizedCrop', area_range=(0.5, 1.0)),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False, interpolation='bicubic'),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('img_shape', 'text', 'video_idx'))
]
# the official test transform: segment-middle frames, bicubic resize to 224 x 224, no crop
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='ClipWindow'),
    dict(type='ViCLIPSegmentSample', clip_len=num_frames, sample='middle'),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False, interpolation='bicubic'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('img_shape', 'text', 'video_idx', 'sample_idx'))
]
train_dataloader = dict(
    batch_size=512, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='VideoTextJsonlDataset',
                 ann_file='data/internvid/InternVid-10M-FLT.jsonl',
                 data_prefix=dict(video=data_root), pipeline=train_pipeline))
# zero-shot MSR-VTT 1k retrieval during training (official test_types = msrvtt_1k_test)
val_dataloader = dict(
    batch_size=64, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VideoTextDataset', ann_file='data/msrvtt/test_JSFUSION.json',
                 data_prefix=dict(video='data/msrvtt/videos'), pipeline=test_pipeline,
                 test_mode=True))
test_dataloader = val_dataloader
# plain (`retrieval/*`) and dual-softmax (`retrieval_dsl/*`) scores, both directions
val_evaluator = dict(type='VideoTextRetrievalMetric', dual_softmax=True)
test_evaluator = val_evaluator

max_epochs = 10
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ZeroShotValLoop')
test_cfg = dict(type='ZeroShotTestLoop')
optim_wrapper = dict(
    type='AmpOptimWrapper', dtype='float16',
    optimizer=dict(type='AdamW', lr=4e-4, betas=(0.9, 0.98), weight_decay=0.2),
    # no decay on temp, the position / class embeddings, biases and norms (official groups)
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0., flat_decay_mult=0.,
                       custom_keys={'temp': dict(decay_mult=0.),
                                    'positional_embedding': dict(decay_mult=0.),
                                    'class_embedding': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=0.5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 0.5, eta_min=4e-6, by_epoch=True,
         begin=0.5, end=max_epochs, convert_to_iter_based=True)
]
# 64 GPUs x 512 clips
auto_scale_lr = dict(enable=False, base_batch_size=32768)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2,
                                     save_best='retrieval/t2v_R@1', rule='greater'))
