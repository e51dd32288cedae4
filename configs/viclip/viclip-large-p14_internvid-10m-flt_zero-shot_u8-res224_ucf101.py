# ViCLIP-L/14 zero-shot UCF101 (split 1 test list, official test transform, 16 ActionCLIP
# templates). Class names: one per line in label order (mmaction2's tools/data/ucf101).
_base_ = ['./viclip-large-p14_internvid-10m-flt_zero-shot_u8-res224_k400.py']

val_dataloader = dict(dataset=dict(ann_file='data/ucf101/ucf101_val_split_1_videos.txt',
                                   data_prefix=dict(video='data/ucf101/videos')))
test_dataloader = val_dataloader
val_evaluator = dict(class_names='data/ucf101/label_map_ucf101.txt')
test_evaluator = val_evaluator
