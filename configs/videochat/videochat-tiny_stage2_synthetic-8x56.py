# Tiny VideoChat-Embed stage 2 (instruction tuning) on the synthetic open QA and multiple
# choice rows plus MVBench-style questions of the tiny-MVBench generator on other clips
# (mvbench_mcq_train.json, written by tools/experiments/videochat_synthetic.py);
# load_from: the tiny stage-1 checkpoint.
_base_ = ['./videochat-tiny_stage1_synthetic-4x56.py']

num_frames = 8
size = 56
data_root = 'data/videochat_synthetic'
model = dict(num_frames=num_frames)
_frames = dict(type='InstructionSampleFrames', num_frames=num_frames, sample='rand')
train_pipeline = [
    dict(type='VideoInit'), _frames, dict(type='VideoDecode'),
    dict(type='mmaction.Resize', scale=(size, size), keep_ratio=False),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    dict(type='InstructionAsQuestion'),
    dict(type='BuildConversation', template='videochat', add_second_msg=True),
    dict(type='mmaction.PackActionInputs', meta_keys={{_base_.it_meta_keys}})
]
_it = dict(type='InstructionDataset', data_prefix=dict(video=data_root), media_type='video',
           pipeline=train_pipeline)
train_dataloader = dict(dataset=dict(_delete_=True, type='ConcatDataset', datasets=[
    dict(ann_file=f'{data_root}/it_mcq_train.json', **_it),
    dict(ann_file=f'{data_root}/it_qa_train.json', **_it),
    dict(ann_file=f'{data_root}/mvbench_mcq_train.json', **_it)]))
max_epochs = 6
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
                        by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
