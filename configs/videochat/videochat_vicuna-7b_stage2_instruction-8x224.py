# VideoChat-Embed stage 2, instruction tuning (official video_chat/scripts/config_7b_stage2.py,
# models/videochat_it.py): same trainable set as stage 1 (GMHRA, ln_vision, extra queries,
# llama_proj); videochat_instruct_11k (WebVid videos) + minigpt_caption_3k +
# llava_conversation_2k + llava_complex_reasoning_2k; 8 frames, batch 1 per GPU, 512 text
# tokens, system '', frame-time message, no QA shuffle, AdamW lr 2e-5 wd 0.02, cosine 3
# epochs to 0.25 x lr, 0.6 warm-up. Starts from stage 1 (load_from).
# The released delta checkpoint (videochat_7b.pth) is this stage's output:
#   init_cfg += dict(type='VideoChatPretrained', source='videochat', checkpoint=...videochat_7b.pth)
_base_ = ['./videochat_vicuna-7b_stage1_webvid-cc-coco-4x224.py']

num_frames = 8
model = dict(num_frames=num_frames, llm=dict(max_txt_len=512))
load_from = 'work_dirs/videochat_vicuna-7b_stage1_webvid-cc-coco-4x224/epoch_1.pth'
_frames_step = dict(type='InstructionSampleFrames', num_frames=num_frames, sample='rand')
train_pipeline = [
    dict(type='VideoInit'), _frames_step, dict(type='VideoDecode'),
    dict(type='mmaction.Resize', scale=(224, 224), keep_ratio=False),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    dict(type='InstructionAsQuestion'),
    dict(type='BuildConversation', template='videochat', add_second_msg=True,
         random_shuffle=False),
    dict(type='mmaction.PackActionInputs', meta_keys={{_base_.it_meta_keys}})
]
_it = dict(type='InstructionDataset', pipeline=train_pipeline)
train_dataloader = dict(batch_size=1, dataset=dict(_delete_=True, type='ConcatDataset', datasets=[
    dict(ann_file='data/videochat/videochat_instruct_11k.json',
         data_prefix=dict(video='data/webvid/videos'), media_type='video', **_it),
    dict(ann_file='data/videochat/minigpt_caption_3k.json', data_prefix=dict(video='data/cc_sbu'),
         media_type='image', **_it),
    *[dict(ann_file=f'data/videochat/llava_{kind}_2k.json',
           data_prefix=dict(video='data/coco/train2014'), media_type='image', **_it)
      for kind in ('conversation', 'complex_reasoning')]]))

max_epochs, warmup_epochs, lr = 3, 0.6, 2e-5
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=0.25 * lr,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
