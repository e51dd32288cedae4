# Tiny VideoChat2 stage 2 on the synthetic captions: the stage-1 tiny UMT + Q-Former (+ 8
# extra queries) train, a 2-layer LLaMA from a config dict (random, frozen as the official
# Vicuna; the synthetic SentencePiece tokenizer) reads `caption###` after the caption prompt.
# load_from: the stage-1 checkpoint (set by tools/experiments/videochat2_synthetic.py).
_base_ = ['./videochat2_vicuna-7b_stage2_webvid10m-cc14m-plus-8x224.py']

num_frames = 8
size = 32
data_root = 'data/videochat2_synthetic'
_tokenizer = '{{fileDirname}}/../../mmvideofm/datasets/synthetic/assets/' \
    'synthetic_llama_tokenizer/tokenizer.model'
tiny_llama = dict(model_type='llama', vocab_size=1000, hidden_size=64, intermediate_size=128,
                  num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=1024,
                  rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False)
tiny_bert = dict(vocab_size=64, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                 intermediate_size=128, hidden_act='gelu', hidden_dropout_prob=0.1,
                 attention_probs_dropout_prob=0.1, max_position_embeddings=128,
                 layer_norm_eps=1e-12, pad_token_id=0)
model = dict(
    vision_encoder=dict(_delete_=True, type='VideoChat2ViT',
                        arch=dict(patch_size=8, embed_dim=64, depth=3, num_heads=4,
                                  mlp_ratio=4.),
                        encoder_depth=3, return_index=-2, img_size=size, num_frames=num_frames),
    qformer=dict(_delete_=True, bert_config=tiny_bert, num_query_tokens=8,
                 num_extra_query_tokens=8, text_input=False, drop_path_rate=0.1),
    llm=dict(_delete_=True, type='CausalLM', model=tiny_llama, tokenizer=_tokenizer,
             tuning='frozen', max_txt_len=384),
    num_frames=num_frames, image_size=size, max_txt_len=64,
    data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW',
                           mean=[122.770938, 116.7460125, 104.09373615],
                           std=[68.5005327, 66.6321579, 70.32316305]),
    seed=0)
load_from = None
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False, dataset=dict(
    ann_file=f'{data_root}/caption_train.json', data_prefix=dict(video=data_root),
    skip_bad_samples=False, pipeline=[
        dict(type='VideoInit'), dict(type='InstructionSampleFrames', num_frames=num_frames),
        dict(type='VideoDecode'),
        dict(type='mmaction.Resize', scale=(size, size), keep_ratio=False),
        dict(type='mmaction.FormatShape', input_format='NCTHW'),
        dict(type='mmaction.PackActionInputs', meta_keys={{_base_.caption_meta_keys}})]))
max_epochs = 2
train_cfg = dict(max_epochs=max_epochs)
runner_type = 'Runner'
strategy = None
optim_wrapper = dict(type='OptimWrapper', _delete_=True,
                     optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999),
                                    weight_decay=0.02))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
                        by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None))
custom_hooks = []
randomness = dict(seed=0)
