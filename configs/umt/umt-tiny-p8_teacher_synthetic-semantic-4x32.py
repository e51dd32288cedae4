# The image teacher of the synthetic 'mover_shape' comparison (tools/experiments/umt_mover_shape.py):
# a tiny CLIPVisual tower trained on single frames of the stage-1 clips (64 clips a step, one
# random frame each; 800 steps, AdamW 2e-3) to name the shape centred in every patch, through
# CLIP's zero-shot head (cosine to class prototypes x logit scale 10). It knows what is where
# in a frame and nothing about motion. val: object-patch accuracy on the frames of the first 64
# training clips, i.e. its fit on the clips stage 1 shows it (the only clips it ever labels;
# on held-out clips of the same world it is lower: 91 % measured at seed 0).
#   .venv/bin/python tools/train.py configs/umt/umt-tiny-p8_teacher_synthetic-semantic-4x32.py
# The stage-1 config loads its runner checkpoint (prefix 'visual.').
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.umt'], allow_failed_imports=False)

size = 32
patch_size = 8
model = dict(
    type='SyntheticImageTeacher',
    visual=dict(type='CLIPVisual', arch=None, input_resolution=size, patch_size=patch_size,
                width=64, layers=4, heads=4, output_dim=32, return_layers=2),
    num_classes=5,  # background + len(SHAPES)
    logit_scale=10.)

targets = dict(type='SyntheticPatchShapeTargets', patch_size=patch_size)
# training: one random frame of each clip, 64 clips a step
train_pipeline = [
    dict(type='VideoInit'),
    dict(type='VideoSampleFrames', clip_len=1, frame_interval=1, num_clips=1),
    dict(type='VideoDecode'),
    targets,
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('gt_patch_labels', ))
]
# validation: the 4 frames the students see (every 2nd of 8)
val_pipeline = [
    dict(type='VideoInit'),
    dict(type='VideoSampleFrames', clip_len=4, frame_interval=2, num_clips=1, test_mode=True),
    dict(type='VideoDecode'),
    targets,
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('gt_patch_labels', ))
]
# the clips of umt-tiny-p8_stage1_synthetic-semantic-4x32.py (free clips, seed 7)
world_cfg = dict(max_objects=2, motion=(0.6, 0.8), noise=0, object_size=(0.28, 0.36))
dataset = dict(type='SyntheticVideoDataset', task=None, seed=7, num_frames=8, size=size,
               world_cfg=world_cfg, cache_clips=True)
train_dataloader = dict(
    batch_size=64, num_workers=0, sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(num_samples=800, split='train', pipeline=train_pipeline, **dataset))
val_dataloader = dict(
    batch_size=64, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(num_samples=64, split='train', test_mode=True, pipeline=val_pipeline,
                 **dataset))
test_dataloader = val_dataloader
val_evaluator = dict(type='PatchAccuracy')
test_evaluator = val_evaluator

max_iters = 800
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05))
param_scheduler = []  # constant lr
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1,
                                     save_best=None))
log_processor = dict(by_epoch=False)
