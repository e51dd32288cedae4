# Kinetics-style action recognition: mmaction2 `VideoDataset` list files ("path label"), read
# with mmvideofm's own VideoInit / VideoDecode (decord, PyAV fallback, clear VideoReadErrors).
# Defaults: Kinetics-400 and the VideoMAE V2 / UMT fine-tuning recipe at 224 px with 16 frames
# x interval 4 (test 5 clips x 3 crops). Every pipeline is [VideoInit, frame sampler,
# VideoDecode, *transforms] (the layout VideoRepeatAugDataset needs); a config that samples
# differently rebuilds the pipelines from `_base_.{train,val,test}_transforms`.
# Val / test read the lists with `VideoListDataset` (mmaction2's `VideoDataset` + mmvideofm's
# bad-file policy): an unreadable video stops evaluation with an error that names the file
# and `skip_bad_samples=True`, the option that skips it.
dataset_type = 'VideoListDataset'
data_root = 'data/kinetics400/videos_train'
data_root_val = 'data/kinetics400/videos_val'
ann_file_train = 'data/kinetics400/kinetics400_train_list_videos.txt'
ann_file_val = 'data/kinetics400/kinetics400_val_list_videos.txt'

num_frames = 16

# The official fine-tuning augmentation (UMT and VideoMAE V2 run_class_finetuning.py):
# RandAugment rand-m7-n4-mstd0.5-inc1 (timm's policy, one draw per clip, on the decoded frames
# before the crop, translate range from the 224-px crop size: VideoRandAugment); random erasing prob 0.25, mode 'pixel', count 1: one rectangle
# for the whole clip filled with per-pixel N(0, 1) noise in normalised space, i.e.
# N(mean, std) in pixels here (clipped to uint8). Mixup / cutmix and label smoothing live in
# the model (data_preprocessor.blending, cls_head.label_smooth_eps).
# = mmvideofm.constants.IMAGENET_*_255 (here and in ../models/imagenet_preprocessor.py only;
# mmengine forbids a base shared by two bases of one config; tests/projects/test_config_bases.py)
img_norm_mean = (123.675, 116.28, 103.53)
img_norm_std = (58.395, 57.12, 57.375)
train_transforms = [
    dict(type='VideoRandAugment', auto_augment='rand-m7-n4-mstd0.5-inc1', input_size=224,
         interpolation='bicubic'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop', area_range=(0.08, 1.0)),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand', fill_color=img_norm_mean,
         fill_std=img_norm_std),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_transforms = [
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_transforms = [  # short side 224, 3 crops per clip
    dict(type='Resize', scale=(-1, 224)),
    dict(type='ThreeCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
train_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', clip_len=num_frames, frame_interval=4, num_clips=1),
    dict(type='VideoDecode'), *train_transforms
]
val_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', clip_len=num_frames, frame_interval=4, num_clips=1,
         test_mode=True),
    dict(type='VideoDecode'), *val_transforms
]
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', clip_len=num_frames, frame_interval=4, num_clips=5,
         test_mode=True),
    dict(type='VideoDecode'), *test_transforms
]

# repeated augmentation: each video is decoded once and augmented `num_sample` times (the
# official --num_sample 2; `sample_once` = the same frames for every copy)
num_sample = 2
train_dataloader = dict(
    batch_size=16, num_workers=10, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='repeat_pseudo_collate'),
    dataset=dict(type='VideoRepeatAugDataset', num_repeats=num_sample, sample_once=True,
                 ann_file=ann_file_train, data_prefix=dict(video=data_root),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=ann_file_val,
                 data_prefix=dict(video=data_root_val), pipeline=val_pipeline, test_mode=True))
test_dataloader = dict(
    batch_size=1, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=ann_file_val,
                 data_prefix=dict(video=data_root_val), pipeline=test_pipeline,
                 test_mode=True))
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator
