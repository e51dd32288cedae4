# UMT-B/16 fine-tuning on K710 from the stage-1 checkpoint (paper: 81.9 top-1 on K710).
# Official: single_modality/exp/finetuning/k710/b16_ptk710_ftk710_f8_res224.sh (16 GPUs x 16,
# 35 epochs, warmup 2, lr 2e-4 * bs * num_sample / 256 (--num_sample defaults to 2), layer
# decay 0.75, wd 0.05, drop path 0.1; RandAug m7-n4, random erasing 0.25, mixup 0.8 / cutmix
# 1.0, label smoothing 0.1 (run_class_finetuning.py defaults); test 4 x 3).
# Model, schedule: configs/_base_/models/umt_vit-base-p16_recognizer.py,
# configs/_base_/schedules/finetune_adamw-layer-decay_warmup-cosine.py (their defaults are
# this recipe).
_base_ = [
    '../_base_/models/umt_vit-base-p16_recognizer.py', '../_base_/datasets/k710_video.py',
    '../_base_/schedules/finetune_adamw-layer-decay_warmup-cosine.py',
    '../_base_/default_runtime.py'
]
custom_imports = dict(imports=['projects.umt'], allow_failed_imports=False)

num_frames = 8
num_classes = 710

# stage-1 checkpoint converted with `tools/convert_checkpoint.py umt b16_ptk710_f8_res224.pth
# OUT` (keys backbone.* / clip_decoder.*; the latter are ignored here)
load_from = None

# 8 frames, one per equal segment (TSN-style, the official Kinetics_sparse), train with two
# repeated augmentations; val 1 clip centre crop, test 4 clips x 3 crops
train_pipeline = [
    dict(type='VideoInit'), dict(type='UniformSample', clip_len=num_frames, num_clips=1),
    dict(type='VideoDecode'), *_base_.train_transforms
]
val_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1, test_mode=True),
    dict(type='VideoDecode'), *_base_.val_transforms
]
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=4, test_mode=True),
    dict(type='VideoDecode'), *_base_.test_transforms
]
train_dataloader = dict(batch_size=16, num_workers=12, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=16, dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(batch_size=4, dataset=dict(pipeline=test_pipeline))

gpus = 16
num_sample = 2
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_best='acc/top1',
                                     rule='greater'))
