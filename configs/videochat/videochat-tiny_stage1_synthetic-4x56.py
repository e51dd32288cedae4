# Tiny VideoChat-Embed stage 1 on the synthetic captions (as single-turn caption
# conversations, it_caption_train.json of `make_synthetic.py --format instruction`): a 2-block
# EVA-style ViT (56 px, patch 14: 4x4 patches) with one GMHRA, a 2-layer Q-Former (8 + 8 queries), a 2-layer
# LLaMA from a config dict with the synthetic SentencePiece tokenizer. The real runs freeze
# the pretrained ViT / Q-Former / LLM; these are random, so here everything trains
# (freeze_* False, llm.tuning='full': a random network has nothing to keep).
# data_root is set by tools/experiments/videochat_synthetic.py.
_base_ = ['./videochat_vicuna-7b_stage1_webvid-cc-coco-4x224.py']

num_frames = 4
size = 56
data_root = 'data/videochat_synthetic'
_tokenizer = '{{fileDirname}}/../../mmvideofm/datasets/synthetic/assets/' \
    'synthetic_llama_tokenizer/tokenizer.model'
tiny_llama = dict(model_type='llama', vocab_size=1000, hidden_size=64, intermediate_size=128,
                  num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=1024,
                  rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False)
tiny_bert = dict(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                 intermediate_size=64, hidden_act='gelu', hidden_dropout_prob=0.0,
                 attention_probs_dropout_prob=0.0, max_position_embeddings=64,
                 layer_norm_eps=1e-12, pad_token_id=0)
model = dict(
    vision_encoder=dict(_delete_=True, type='VideoChatEVAViT', img_size=size, patch_size=14,
                        embed_dim=32, depth=2, num_heads=2, mlp_ratio=4.3637, gmhra_layers=1,
                        gmhra_dropout=0.1),
    qformer=dict(_delete_=True, bert_config=tiny_bert, num_query_tokens=8,
                 num_extra_query_tokens=8),
    llm=dict(_delete_=True, type='CausalLM', model=tiny_llama, tokenizer=_tokenizer,
             tuning='full', max_txt_len=256),
    freeze_vit=False, freeze_qformer=False,
    num_frames=num_frames, image_size=size, init_cfg=None, seed=0)
_frames = dict(type='InstructionSampleFrames', num_frames=num_frames, sample='rand')
train_pipeline = [
    dict(type='VideoInit'), _frames, dict(type='VideoDecode'),
    dict(type='mmaction.Resize', scale=(size, size), keep_ratio=False),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    dict(type='InstructionAsQuestion'),
    dict(type='BuildConversation', template='videochat', add_second_msg=True),
    dict(type='mmaction.PackActionInputs', meta_keys={{_base_.it_meta_keys}})
]
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(ann_file=f'{data_root}/it_caption_train.json',
                 data_prefix=dict(video=data_root), pipeline=train_pipeline))
max_epochs = 2
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999),
                                    weight_decay=0.02))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
                        by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None))
randomness = dict(seed=0)
