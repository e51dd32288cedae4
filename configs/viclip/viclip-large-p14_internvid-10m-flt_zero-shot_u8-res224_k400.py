# ViCLIP-L/14 (InternVid-10M-FLT) zero-shot Kinetics-400: 8 segment-middle frames, bicubic
# resize to 224 x 224 without crop, ImageNet mean/std (the official test transform), the 16
# ActionCLIP templates per class, score = mean of the per-prompt cosine similarities.
# Reports zero_shot/top1, top5 and avg = mean(top1, top5). Paper (10M-FLT): 64.80 / 75.70 (AVG).
# Weights: `tools/convert_checkpoint.py viclip ViClip-InternVid-10M-FLT.pth OUT`, then
# `tools/test.py CONFIG OUT`. Optional WiSE-FT(0.5) with the CLIP initialisation, as the
# official scripts: `.venv/bin/python -m projects.viclip.wise_ft OUT CLIP.pt WISE.pth`.
_base_ = ['./viclip-large-p14_internvid-10m-flt_stage1-mask0.9_u8-res224.py']

dataset_type = 'VideoListDataset'
data_root_val = 'data/kinetics400/videos_val'
ann_file_val = 'data/kinetics400/kinetics400_val_list_videos.txt'
class_names = 'data/kinetics400/label_map_k400.txt'  # one class name per line, label order
zero_shot_pipeline = [
    dict(type='VideoInit'),
    dict(type='ViCLIPSegmentSample', clip_len=8, sample='middle'),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False, interpolation='bicubic'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_dataloader = dict(
    batch_size=32,
    dataset=dict(_delete_=True, type=dataset_type, ann_file=ann_file_val,
                 data_prefix=dict(video=data_root_val), pipeline=zero_shot_pipeline,
                 test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='ZeroShotClassificationMetric',
                     class_names=class_names)
test_evaluator = val_evaluator
val_cfg = dict(type='ZeroShotValLoop')
test_cfg = dict(type='ZeroShotTestLoop')
