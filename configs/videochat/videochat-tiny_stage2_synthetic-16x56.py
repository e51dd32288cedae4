# Tiny VideoChat-Embed stage 2 (instruction tuning) on MVBench-style multiple-choice questions
# of the tiny-MVBench generator on other clips (mvbench_mcq_train.json, written by
# tools/experiments/videochat_synthetic.py); load_from: the tiny stage-1 checkpoint.
# Not upstream (a model trained from scratch; the recipe of the tiny VideoChat2, see the README
# "Results on the synthetic world"): the rows are read at the evaluation's 16 frames, in the
# evaluation's words (template 'vicuna_v0_eval', no frame-time message: the conversation is the
# MVBench prompt up to `Best option:(`), with their options re-shuffled at every load
# (shuffle_options=True: the answer letter is uniform and only the option text tells it).
_base_ = ['./videochat-tiny_stage1_synthetic-4x56.py']

num_frames = 16
size = 56
data_root = 'data/videochat_synthetic'
model = dict(num_frames=num_frames, template='vicuna_v0_eval')
train_pipeline = [
    dict(type='VideoInit'), dict(type='InstructionSampleFrames', num_frames=num_frames,
                                 sample='middle'),
    dict(type='VideoDecode'), dict(type='mmaction.Resize', scale=(size, size), keep_ratio=False),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    dict(type='BuildConversation', template='vicuna_v0_eval', add_second_msg=False,
         shuffle_options=True),
    dict(type='mmaction.PackActionInputs', meta_keys={{_base_.it_meta_keys}})
]
train_dataloader = dict(dataset=dict(ann_file=f'{data_root}/mvbench_mcq_train.json',
                                     pipeline=train_pipeline))
max_epochs = 20
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
                        by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
