# Zero-shot Kinetics-400 recognition of a post-pretrained Harvest B/16 (test only): class
# names x the 16 ActionCLIP templates, mean of the per-prompt similarities, top-1 / top-5 /
# AVG (ZeroShotClassificationMetric, the metric ViCLIP reports). 8 frames, segment middles,
# bicubic resize to 224 x 224 without crop, CLIP mean / std (the model's preprocessor).
# [unverified] the protocol behind the 56.65 (B/16) / 64.25 (L/14) that the notes attribute
# to Harvest (InternVideo1 CoTrain README; its scripts add WiSE-FT 0.5, not done here).
# Weights: a Harvest checkpoint (ours, or an official one converted with
# `.venv/bin/python tools/convert_checkpoint.py harvest IN OUT`) via `load_from` / --checkpoint.
_base_ = ['./harvest-base-p16_clip-b16_webvid10m-pre_u8-res224.py']

model = dict(init_cfg=None)
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=_base_.num_frames, num_clips=1, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(_base_.img_size, _base_.img_size), keep_ratio=False,
         interpolation='bicubic'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_dataloader = dict(
    _delete_=True, batch_size=16, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VideoListDataset',
                 ann_file='data/kinetics400/kinetics400_val_list_videos.txt',
                 data_prefix=dict(video='data/kinetics400/videos_val'),
                 pipeline=test_pipeline, test_mode=True))
test_evaluator = dict(_delete_=True, type='ZeroShotClassificationMetric',
                      class_names='data/kinetics400/label_map_k400.txt')
test_cfg = dict(_delete_=True, type='ZeroShotTestLoop')
load_from = None
