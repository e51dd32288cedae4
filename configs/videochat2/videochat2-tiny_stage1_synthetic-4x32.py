# Tiny VideoChat2 stage 1 on the synthetic captions (CPU, minutes): frozen tiny UMT (32 px,
# patch 8, 2 of 3 blocks), 2-layer Q-Former (8 queries) on the synthetic BERT vocabulary,
# VTC + VTM + VTG. Data: tools/data/make_synthetic.py --format instruction (data_root);
# tools/experiments/videochat2_synthetic.py runs the three stages and the tiny MVBench.
# The ViT is frozen as officially (it would come from UMT); here it stays random.
_base_ = ['./videochat2_umt-l16-qformer_stage1_webvid10m-cc14m-4x224.py']

num_frames = 4
size = 32
data_root = 'data/videochat2_synthetic'
tiny_vit = dict(type='VideoChat2ViT',
                arch=dict(patch_size=8, embed_dim=64, depth=3, num_heads=4, mlp_ratio=4.),
                encoder_depth=3, return_index=-2, img_size=size, num_frames=num_frames)
tiny_bert = dict(vocab_size=64, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                 intermediate_size=128, hidden_act='gelu', hidden_dropout_prob=0.1,
                 attention_probs_dropout_prob=0.1, max_position_embeddings=128,
                 layer_norm_eps=1e-12, pad_token_id=0)
model = dict(
    vision_encoder=dict(tiny_vit, _delete_=True),
    qformer=dict(_delete_=True, bert_config=tiny_bert, num_query_tokens=8, drop_path_rate=0.1),
    tokenizer=dict(_delete_=True, type='BertTokenizer', vocab='synthetic'),
    embed_dim=32,
    max_txt_len=24,
    # the harness's CLIP statistics (MVBench evaluation) in every tiny stage
    data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW',
                           mean=[122.770938, 116.7460125, 104.09373615],
                           std=[68.5005327, 66.6321579, 70.32316305]),
    seed=0)
caption_pipeline = [
    dict(type='VideoInit'), dict(type='InstructionSampleFrames', num_frames=num_frames),
    dict(type='VideoDecode'), dict(type='mmaction.Resize', scale=(size, size), keep_ratio=False),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    dict(type='mmaction.PackActionInputs', meta_keys={{_base_.caption_meta_keys}})]
train_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(ann_file=f'{data_root}/caption_train.json', data_prefix=dict(video=data_root),
                 pipeline=caption_pipeline, skip_bad_samples=False))
max_epochs = 4
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(type='OptimWrapper', _delete_=True,
                     optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999),
                                    weight_decay=0.02),
                     paramwise_cfg=dict(bypass_duplicate=True))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
                        by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None))
custom_hooks = []
randomness = dict(seed=0)
