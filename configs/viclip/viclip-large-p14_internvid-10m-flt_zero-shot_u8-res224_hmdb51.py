# ViCLIP-L/14 zero-shot HMDB51 (split 1 test list, official test transform, 16 ActionCLIP
# templates). Class names: one per line in label order (mmaction2's tools/data/hmdb51).
_base_ = ['./viclip-large-p14_internvid-10m-flt_zero-shot_u8-res224_k400.py']

val_dataloader = dict(dataset=dict(ann_file='data/hmdb51/hmdb51_val_split_1_videos.txt',
                                   data_prefix=dict(video='data/hmdb51/videos')))
test_dataloader = val_dataloader
val_evaluator = dict(class_names='data/hmdb51/label_map_hmdb51.txt')
test_evaluator = val_evaluator
