# Kinetics-710 (the K400 / K600 / K700 union of UMT and VideoMAE V2; one folder of videos):
# the Kinetics pipelines and loaders with K710 list files.
_base_ = ['./kinetics_video.py']

data_root = 'data/k710/videos'
data_root_val = data_root
ann_file_train = 'data/k710/k710_train_list_videos.txt'
ann_file_val = 'data/k710/k710_val_list_videos.txt'
train_dataloader = dict(dataset=dict(ann_file=ann_file_train,
                                     data_prefix=dict(video=data_root)))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root)))
test_dataloader = val_dataloader
