# VideoChat2 stage 3, instruction tuning (official config_7b_stage3.py): instruction-aware
# Q-Former (the instruction follows the 96 queries, left-truncated to 512 tokens), LoRA r=16
# alpha=32 dropout 0.1 on Vicuna's q_proj / v_proj, ViT + Q-Former + llama_proj trained.
# Conversations: `[i ]###Human: <Video></Video> The video contains 8 frames sampled at ...
# ###Human: q ###Assistant: a ###` (QA order shuffled per epoch), answers supervised only.
# 8 frames, 8 GPUs x 4, AdamW lr 2e-5 wd 0.02, cosine 3 epochs to 0.25 x lr, 0.6 warm-up.
# Starts from stage 2 (load_from); the frozen LLM comes from llm_path. MMEngine
# FlexibleRunner + FSDP (one unit per ViT Block and LLaMA decoder layer):
#   .venv/bin/torchrun --nproc_per_node 8 tools/train.py \
#     configs/videochat2/videochat2_vicuna-7b_stage3_instruction-8x224.py --launcher pytorch
# (DeepSpeed ZeRO-3 instead: ..._stage3_instruction-8x224_zero3.py)
_base_ = ['./videochat2_vicuna-7b_stage2_webvid10m-cc14m-plus-8x224.py']

model = dict(
    stage=3,
    qformer=dict(text_input=True),
    qformer_tokenizer=dict(type='BertTokenizer', name_or_path='bert-base-uncased'),
    llm=dict(tuning=None, peft=dict(r=16, alpha=32, dropout=0.1)),
    max_txt_len=512,
    # as upstream (vit_blip_model_path, then videochat2_model_path): the stage-1 weights first
    # (they hold the Q-Former's text embeddings and text FFNs, which stage 2 does not have),
    # then the stage-2 checkpoint over them
    init_cfg=dict(type='Pretrained', checkpoint='work_dirs/videochat2_umt-l16-qformer_stage1_'
                  'webvid10m-cc14m-4x224/epoch_10.pth'))
load_from = 'work_dirs/videochat2_vicuna-7b_stage2_webvid10m-cc14m-plus-8x224/epoch_1.pth'

num_frames = 8
it_meta_keys = ('conversation', 'instruction', 'media_type', 'qa', 'frame_secs', 'filename',
                'sample_idx')
it_pipeline = [
    dict(type='VideoInit'),
    dict(type='InstructionSampleFrames', num_frames=num_frames, sample='rand'),
    dict(type='VideoDecode'),
    dict(type='mmaction.Resize', scale=(224, 224), keep_ratio=False),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    dict(type='BuildConversation', template='vicuna_v0', add_second_msg=True),
    dict(type='mmaction.PackActionInputs', meta_keys=it_meta_keys)
]
# videochat2_instruction (1.9M, 36 corpora): one annotation file per corpus, concatenated
train_dataloader = dict(
    dataset=dict(_delete_=True, type='InstructionDataset',
                 ann_file='data/videochat2/instruction/video_train.json',
                 data_prefix=dict(video='data/videochat2/videos'), media_type='video',
                 pipeline=it_pipeline, skip_bad_samples=True))

max_epochs, warmup_epochs, lr = 3, 0.6, 2e-5
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
strategy = dict(
    _delete_=True, type='FSDPStrategy',
    model_wrapper=dict(type='MMFullyShardedDataParallel',
                       auto_wrap_policy=dict(type='transformer_layer_wrap_policy',
                                             layer_cls=['Block', 'LlamaDecoderLayer']),
                       use_orig_params=True),
    state_dict_cfg='full')
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.999), weight_decay=0.02))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=0.25 * lr,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
