# Self-supervised video pretraining on a video list (labels unused; "path 0" lines are fine),
# read with mmvideofm's VideoInit / VideoDecode. Train only. Defaults: the VideoMAE V2
# pre-training data (UnlabeledHybrid, 16 frames x interval 4, multi-scale crop to 224, no
# flip, num_sample 4 repeated augmentation sharing one frame sampling).
data_root = 'data/unlabeled_hybrid/videos'
ann_file_train = 'data/unlabeled_hybrid/hybrid_train_list_videos.txt'

num_frames = 16
train_transforms = [
    dict(type='Resize', scale=(-1, 256)),
    dict(type='MultiScaleCrop', input_size=224, scales=(1, .875, .75, .66), random_crop=False,
         max_wh_scale_gap=1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
train_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', clip_len=num_frames, frame_interval=4, num_clips=1),
    dict(type='VideoDecode'), *train_transforms
]

num_sample = 4
train_dataloader = dict(
    batch_size=32 // num_sample, num_workers=10, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='repeat_pseudo_collate'),
    dataset=dict(type='VideoRepeatAugDataset', num_repeats=num_sample, sample_once=True,
                 ann_file=ann_file_train, data_prefix=dict(video=data_root),
                 pipeline=train_pipeline))
