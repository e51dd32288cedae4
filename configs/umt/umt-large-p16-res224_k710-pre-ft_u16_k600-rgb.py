# UMT-L/16 K710 -> K710 ft -> K600 (paper 90.5 top-1, 16x224, 4 clips x 1 crop): the K400 recipe
# with K600 data. Official:
# single_modality/exp/finetuning/k600/l16_ptk710_ftk710_ftk600_f16_res224.sh (16 GPUs x 8,
# num_sample 2, 5 epochs, warmup 1, lr 1e-5 * bs * num_sample / 256, layer decay 0.85, drop path
# 0.2; test 4 x 1). The official run starts from the K710 fine-tuned file with its head
# re-ordered by label_mixto600.json (Google Drive, not in the repository).
_base_ = ['./umt-large-p16-res224_k710-pre-ft_u16_k400-rgb.py']

num_classes = 600
model = dict(
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(blending=dict(augments=[
        dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
        dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)])))
data_root = 'data/kinetics600/videos_train'
data_root_val = 'data/kinetics600/videos_val'
ann_file_train = 'data/kinetics600/kinetics600_train_list_videos.txt'
ann_file_val = 'data/kinetics600/kinetics600_val_list_videos.txt'
train_dataloader = dict(dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root)))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root_val)))
test_dataloader = val_dataloader
