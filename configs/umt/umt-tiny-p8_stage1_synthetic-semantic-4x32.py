# UMT stage 1 for the 'mover_shape' comparison (tools/experiments/umt_mover_shape.py): the
# student aligns to an image teacher that knows every patch's shape (CLIP-style cosine head),
# on free clips of a flat-background world with larger objects; 4 frames (every 2nd of 8).
#   .venv/bin/python tools/train.py configs/umt/umt-tiny-p8_teacher_synthetic-semantic-4x32.py
#   .venv/bin/python tools/train.py configs/umt/umt-tiny-p8_stage1_synthetic-semantic-4x32.py
_base_ = ['./umt-tiny-p8_stage1_synthetic-8x32.py', '../_base_/datasets/synthetic_every2nd.py']

num_frames = 4
model = dict(backbone=dict(num_frames=num_frames),
             teacher=dict(init_cfg=dict(
                 checkpoint='work_dirs/umt-tiny-p8_teacher_synthetic-semantic-4x32/iter_800.pth')))
pipeline = {{_base_.synthetic_every2nd_pipeline}}
world_cfg = dict(max_objects=2, motion=(0.6, 0.8), noise=0, object_size=(0.28, 0.36))
train_dataloader = dict(dataset=dict(task=None, num_frames=8, world_cfg=world_cfg,
                                     pipeline=pipeline))
# constant lr
param_scheduler = []
