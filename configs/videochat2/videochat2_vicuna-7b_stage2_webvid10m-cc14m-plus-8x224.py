# VideoChat2 stage 2, vision-language connection (official config_7b_stage2.py): UMT-L +
# Q-Former (queries only, + 64 zero-initialised extra queries: 96 visual tokens) trained,
# llama_proj, Vicuna-7B v0 frozen in fp16; LM loss on `caption###` after
# `[BOS] ###Human: <Video>[tokens]</Video> {concise-description prompt} ###Assistant: `.
# 8 frames, 8 GPUs x 4, AdamW lr 1e-4 wd 0.02, cosine 1 epoch to 0.01 x lr, 0.2 warm-up.
# Starts from stage 1 (load_from, non-strict as upstream: vision + Q-Former are taken).
# MMEngine FlexibleRunner + DeepSpeed ZeRO-2 (pip install deepspeed):
#   .venv/bin/torchrun --nproc_per_node 8 tools/train.py \
#     configs/videochat2/videochat2_vicuna-7b_stage2_webvid10m-cc14m-plus-8x224.py --launcher pytorch
_base_ = ['./videochat2_umt-l16-qformer_stage1_webvid10m-cc14m-4x224.py']

num_frames = 8
bert_base = {{_base_.bert_base}}
# a local folder holding vicuna-7b-v0 (LLaMA-7B + the Vicuna v0 delta) and its tokenizer.model
llm_path = 'data/models/vicuna-7b-v0'
model = dict(
    _delete_=True,
    type='VideoChat2',
    stage=2,
    vision_encoder=dict(type='VideoChat2ViT', arch='l', encoder_depth=24, return_index=-2,
                        img_size=224, num_frames=num_frames, ckpt_num_frame=4, with_cp=True),
    qformer=dict(bert_config=bert_base, num_query_tokens=32, num_extra_query_tokens=64,
                 text_input=False, drop_path_rate=0.2, gradient_checkpointing=True),
    llm=dict(type='CausalLM', model=llm_path, tokenizer=llm_path, torch_dtype='float16',
             tuning='frozen', max_txt_len=512),
    template='vicuna_v0',
    num_frames=num_frames,
    freeze_vision=False,
    freeze_qformer=False)
# converted umt_l16_qformer.pth (tools/convert_checkpoint.py videochat2 IN OUT) or the
# stage-1 run's last checkpoint
load_from = 'work_dirs/videochat2_umt-l16-qformer_stage1_webvid10m-cc14m-4x224/epoch_10.pth'

# the stage-1 caption data with 8 frames, 4 clips per GPU
train_dataloader = dict(batch_size=4, dataset=dict(pipeline=[
    dict(type='VideoInit'), dict(type='InstructionSampleFrames', num_frames=num_frames),
    dict(type='VideoDecode'), dict(type='mmaction.Resize', scale=(224, 224), keep_ratio=False),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    dict(type='mmaction.PackActionInputs', meta_keys={{_base_.caption_meta_keys}})]))

max_epochs, warmup_epochs, lr = 1, 0.2, 1e-4
train_cfg = dict(max_epochs=max_epochs)
runner_type = 'FlexibleRunner'
strategy = dict(type='DeepSpeedStrategy', fp16=dict(enabled=True, initial_scale_power=16),
                zero_optimization=dict(stage=2, overlap_comm=True, contiguous_gradients=True),
                gradient_clipping=0.0, train_micro_batch_size_per_gpu=4)
optim_wrapper = dict(_delete_=True, type='DeepSpeedOptimWrapper',
                     optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.999), weight_decay=0.02))
param_scheduler = [dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
                        end=warmup_epochs, convert_to_iter_based=True),
                   dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
                        eta_min=0.01 * lr, by_epoch=True, begin=warmup_epochs, end=max_epochs,
                        convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(max_keep_ckpts=1))
