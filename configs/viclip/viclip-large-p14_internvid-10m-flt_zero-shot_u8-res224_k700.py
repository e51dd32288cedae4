# ViCLIP-L/14 zero-shot Kinetics-700 (official test transform, 16 ActionCLIP templates).
# Paper (10M-FLT) top-1 / AVG: 54.30 / 66.38.
_base_ = ['./viclip-large-p14_internvid-10m-flt_zero-shot_u8-res224_k400.py']

val_dataloader = dict(dataset=dict(ann_file='data/kinetics700/kinetics700_val_list_videos.txt',
                                   data_prefix=dict(video='data/kinetics700/videos_val')))
test_dataloader = val_dataloader
val_evaluator = dict(class_names='data/kinetics700/label_map_k700.txt')
test_evaluator = val_evaluator
