# VideoChat2 stage 1, vision-language alignment (official scripts/videochat_vicuna/
# config_7b_stage1.py): frozen UMT-L/16 (23 blocks, return_index=-2) + learnable
# vision_temp_embed + vision_layernorm, BERT-base Q-Former (32 queries, cross-attention every
# 2nd layer, drop path 0.2, MLM head kept for the caption loss), VTC + VTM (hard negatives,
# concatenated text [CLS]) + VTG (caption, label smoothing 0.1), weight 1 each, temp 0.07.
# 4 frames, 224 px, 8 GPUs x 128, AdamW lr 1e-4 (0.9, 0.999) wd 0.02, cosine 10 epochs to
# 0.01 x lr, 0.2 warm-up epoch, fp16, gradient checkpointing. Output = umt_l16_qformer.pth.
#   .venv/bin/torchrun --nproc_per_node 8 tools/train.py \
#     configs/videochat2/videochat2_umt-l16-qformer_stage1_webvid10m-cc14m-4x224.py --launcher pytorch
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.videochat2'], allow_failed_imports=False)

num_frames = 4
# bert-base-uncased = transformers' BertConfig defaults (768 wide, 12 layers, 12 heads, 3072,
# GELU, dropout 0.1, 512 positions, LayerNorm eps 1e-12); the tokenizer's [DEC] adds a word
bert_base = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12)
model = dict(
    type='VideoChat2QFormer',
    # UMT-L/16 25M (`l16_25m.pth`): tools/convert_checkpoint.py umt l16_25m.pth OUT, then
    # init_cfg=dict(type='UMTPretrained', checkpoint=OUT) (a custom_imports of projects.umt)
    vision_encoder=dict(type='VideoChat2ViT', arch='l', encoder_depth=24, return_index=-2,
                        img_size=224, num_frames=num_frames, drop_path_rate=0.,
                        with_cp=True, with_cp_num=12),
    qformer=dict(bert_config=bert_base, num_query_tokens=32, drop_path_rate=0.2,
                 gradient_checkpointing=True),
    # a local bert-base-uncased folder (nothing is downloaded); [DEC] is added as BOS
    tokenizer=dict(type='BertTokenizer', name_or_path='bert-base-uncased'),
    num_frames=num_frames,
    embed_dim=768,
    temp=0.07,
    max_txt_len=32,
    loss_weights=dict(vtc=1.0, vtm=1.0, cap=1.0),
    freeze_vision_encoder=True)

caption_meta_keys = ('caption', 'text', 'video_idx', 'media_type', 'filename')
caption_pipeline = [
    dict(type='VideoInit'),
    dict(type='InstructionSampleFrames', num_frames=num_frames, sample='rand'),
    dict(type='VideoDecode'),
    dict(type='mmaction.Resize', scale=(224, 224), keep_ratio=False),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    dict(type='mmaction.PackActionInputs', meta_keys=caption_meta_keys)
]
# WebVid-10M + CC3M + CC12M (official `webvid10m_cc14m`); images are 1-frame clips and go in
# their own batches (images and videos cannot share a batch)
train_dataloader = dict(
    batch_size=128, num_workers=6, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CaptionDataset', ann_file='data/videochat2/webvid10m_train.json',
                 data_prefix=dict(video='data/webvid/videos'), media_type='video',
                 pipeline=caption_pipeline, skip_bad_samples=True))

gpus, max_epochs, warmup_epochs, lr = 8, 10, 0.2, 1e-4
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
optim_wrapper = dict(
    type='AmpOptimWrapper', dtype='float16',
    optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.999), weight_decay=0.02),
    # the Q-Former's MLM decoder is tied to its word embeddings
    paramwise_cfg=dict(bypass_duplicate=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=0.01 * lr,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_best=None))
randomness = dict(seed=42)
