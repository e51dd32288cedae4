# UMT-B/16 K710 -> K710 ft -> K700 (paper 78.5 top-1, 8x224, 4 clips x 3 crops): the K400 recipe
# with K700 data. Official:
# single_modality/exp/finetuning/k700/b16_ptk710_ftk710_ftk700_f8_res224.sh (16 GPUs x 16,
# num_sample 2, 5 epochs, warmup 1, lr 2e-5 * bs * num_sample / 256, layer decay 0.75, drop path
# 0.1; test 4 x 3). The official run starts from the K710 fine-tuned file with its head
# re-ordered by label_mixto700.json (Google Drive, not in the repository).
_base_ = ['./umt-base-p16-res224_k710-pre-ft_u8_k400-rgb.py']

num_classes = 700
model = dict(
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(blending=dict(augments=[
        dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
        dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)])))
data_root = 'data/kinetics700/videos_train'
data_root_val = 'data/kinetics700/videos_val'
ann_file_train = 'data/kinetics700/kinetics700_train_list_videos.txt'
ann_file_val = 'data/kinetics700/kinetics700_val_list_videos.txt'
train_dataloader = dict(dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root)))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root_val)))
test_dataloader = val_dataloader
