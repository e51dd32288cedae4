# ViCLIP-L/14 zero-shot Kinetics-600 (official test transform, 16 ActionCLIP templates).
# Paper (10M-FLT) top-1 / AVG: 62.20 / 73.53.
_base_ = ['./viclip-large-p14_internvid-10m-flt_zero-shot_u8-res224_k400.py']

val_dataloader = dict(dataset=dict(ann_file='data/kinetics600/kinetics600_val_list_videos.txt',
                                   data_prefix=dict(video='data/kinetics600/videos_val')))
test_dataloader = val_dataloader
val_evaluator = dict(class_names='data/kinetics600/label_map_k600.txt')
test_evaluator = val_evaluator
