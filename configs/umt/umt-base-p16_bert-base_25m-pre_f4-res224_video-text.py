# UMT stage 2 (B/16): video-text pretraining on 25M pairs (WebVid10M + CC3M/CC12M/COCO/VG/SBU)
# from the stage-1 checkpoint. Losses UTA + VTC + VTM (hard negatives) + MLM (p=0.5), weight
# 1 each. BERT-base with fusion layers 9-11. Official:
# multi_modality/exp/pretraining/b16_25m.py (4 frames, 16 GPUs x 128, AdamW lr 1e-4,
# wd 0.02, cosine 10 epochs, warmup 1). 5M / 17M differ only in the corpus.
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.umt'], allow_failed_imports=False)

num_frames = 4
bert_base = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12,
                 num_attention_heads=12, intermediate_size=3072, hidden_act='gelu',
                 hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
                 max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12,
                 pad_token_id=0)
model = dict(
    type='UMTVideoText',
    backbone=dict(type='UMTViT', arch='b', img_size=224, num_frames=num_frames,
                  drop_path_rate=0.1, use_mean_pooling=False, pos_embed_base_thw=None),
    teacher=dict(type='CLIPVisual', arch='b16', input_resolution=224, return_layers=6),
    # `pretrained` / `name_or_path` must be a local folder or an already-cached hub name
    text_encoder=dict(type='BertFusionEncoder', config=bert_base, fusion_layer=9,
                      pretrained='bert-base-uncased'),
    tokenizer=dict(type='BertTokenizer', name_or_path='bert-base-uncased'),
    embed_dim=512,
    temp=0.07,
    clip_return_layer=6,
    video_mask_ratio=0.8,
    image_mask_ratio=0.5,
    mlm_mask_prob=0.5,
    max_txt_len=32,
    # UTA + VTC + VTM (hard negatives) + MLM, weight 1 each (a missing key turns a loss off)
    losses=dict(uta=dict(type='AlignLoss', norm_type='l2'), vtc=dict(type='VTCLoss'),
                vtm=dict(type='VTMLoss', hard_negatives=True), mlm=dict(type='MLMLoss')),
    # zero-shot retrieval re-ranks each query's top 128 VTC candidates with the VTM head
    # (official `evaluation.k_test=128` in every pretraining / zero-shot retrieval config)
    k_test=128,
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], format_shape='NCTHW'))
# stage-1 weights: `tools/convert_checkpoint.py umt b16_ptk710_f8_res224.pth OUT`, loaded
# non-strictly (the official code loads them with strict=False as well)
load_from = None

dataset_type = 'VideoTextDataset'
data_root = 'data/webvid/videos'
train_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1),
    dict(type='VideoDecode'),
    dict(type='RandomResizedCrop', area_range=(0.5, 1.0)),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('img_shape', 'text'))
]
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('img_shape', 'text', 'sample_idx'))
]
train_dataloader = dict(
    batch_size=128, num_workers=12, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, ann_file='data/webvid/train.json',
                 data_prefix=dict(video=data_root), pipeline=train_pipeline))
# zero-shot MSRVTT-1k retrieval (paper B/16-25M: T2V R@1 35.2)
val_dataloader = dict(
    batch_size=32, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file='data/msrvtt/test_JSFUSION.json',
                 data_prefix=dict(video='data/msrvtt/videos'), pipeline=test_pipeline,
                 test_mode=True))
test_dataloader = val_dataloader
# reports `retrieval/*` (VTM re-ranked, the official numbers) and `retrieval_emb/*` (VTC)
val_evaluator = dict(type='VideoTextRetrievalMetric')
test_evaluator = val_evaluator

max_epochs = 10
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
# the retrieval loops hand the model's VTM scorer to the metric (re-ranking needs all pairs)
val_cfg = dict(type='VideoTextRetrievalValLoop')
test_cfg = dict(type='VideoTextRetrievalTestLoop')
optim_wrapper = dict(
    type='AmpOptimWrapper', dtype='bfloat16',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.02))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-6, by_epoch=True,
         begin=1, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2,
                                     save_best='retrieval/t2v_R@1', rule='greater'))
