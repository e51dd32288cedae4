# VideoChat-Embed stage 1, video-text alignment (official video_chat/scripts/
# config_7b_stage1.py + models/videochat_pt.py): EVA ViT-g/14 (frozen) with Global MHRA on its
# last 8 blocks (trainable), ln_vision (trainable), the BLIP-2 Q-Former (frozen; queries only:
# 32 BLIP-2 queries frozen + 64 zero-initialised extra queries trainable), llama_proj
# (trainable), Vicuna-7B v0 (frozen). Corpus webvid10m_14m (WebVid-10M + CC/COCO/VG/SBU
# images) as single-turn caption conversations (official: prompt_wrap with
# '###Human: {} ###Assistant: ' and end_sym '###'), 4 frames, batch 32 per GPU, captions
# cut to 32 tokens, AdamW lr 1e-4 wd 0.02, cosine 1 epoch to 0.01 x lr, 0.2 warm-up, fp16.
# Weights: eva_vit_g.pth, blip2_pretrained_flant5xxl.pth (converted on the fly, official load
# order) and the LLM folder:
#   .venv/bin/torchrun --nproc_per_node 8 tools/train.py \
#     configs/videochat/videochat_vicuna-7b_stage1_webvid-cc-coco-4x224.py --launcher pytorch
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.videochat'], allow_failed_imports=False)

num_frames = 4
img_size = 224
# bert-base-uncased sizes; VideoChat's init_Qformer keeps dropout and drop path at 0
bert_base = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12,
                 num_attention_heads=12, intermediate_size=3072, hidden_act='gelu',
                 hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                 max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12,
                 pad_token_id=0)
# a local folder holding vicuna-7b-v0 (LLaMA-7B + the Vicuna v0 delta) and its tokenizer.model
llm_path = 'data/models/vicuna-7b-v0'
ckpt_dir = 'data/models/videochat'
model = dict(
    type='VideoChat',
    vision_encoder=dict(type='VideoChatEVAViT', img_size=img_size, patch_size=14,
                        embed_dim=1408, depth=39, num_heads=16, mlp_ratio=4.3637,
                        gmhra_layers=8, gmhra_dropout=0.5, gmhra_drop_path_rate=0.0,
                        drop_path_rate=0.0),
    qformer=dict(bert_config=bert_base, num_query_tokens=32, num_extra_query_tokens=64,
                 cross_attention_freq=2),
    llm=dict(type='CausalLM', model=llm_path, tokenizer=llm_path, torch_dtype='float16',
             tuning='frozen', max_txt_len=32),
    freeze_vit=True, freeze_mhra=False, freeze_qformer=True,
    template='videochat', num_frames=num_frames, image_size=img_size,
    init_cfg=[dict(type='VideoChatPretrained', source='eva_vit_g',
                   checkpoint=f'{ckpt_dir}/eva_vit_g.pth'),
              dict(type='VideoChatPretrained', source='blip2_qformer',
                   checkpoint=f'{ckpt_dir}/blip2_pretrained_flant5xxl.pth')])

it_meta_keys = ('conversation', 'instruction', 'media_type', 'qa', 'frame_secs', 'filename',
                'sample_idx')
train_pipeline = [
    dict(type='VideoInit'),
    dict(type='InstructionSampleFrames', num_frames=num_frames, sample='rand'),
    dict(type='VideoDecode'),
    dict(type='mmaction.Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    dict(type='InstructionAsQuestion'),
    dict(type='BuildConversation', template='videochat', add_second_msg=True),
    dict(type='mmaction.PackActionInputs', meta_keys=it_meta_keys)
]
# caption annotations in the instruction format ({"video", "QA": [{"q": prompt, "a": caption}]})
train_dataloader = dict(
    batch_size=32, num_workers=6, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='InstructionDataset', ann_file='data/videochat/caption_webvid10m.json',
                 data_prefix=dict(video='data/webvid/videos'), media_type='video',
                 pipeline=train_pipeline))

max_epochs, warmup_epochs, lr = 1, 0.2, 1e-4
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
optim_wrapper = dict(type='AmpOptimWrapper', dtype='float16',
                     optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.999), weight_decay=0.02))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=0.01 * lr,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=1, save_best=None))
randomness = dict(seed=42)
