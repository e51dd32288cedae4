# ViT-g/14: pre-train (1200e) -> K710 post-pre-train -> K400 (paper: 88.4 top-1, 16x5x3).
# Official: scripts/finetune/vit_g_k710_it_k400_ft.sh (32 GPUs x 3, 3 epochs, warmup 1,
# lr 1e-5 * 3 * 32 / 256, drop path 0.25, layer decay 0.9, wd 0.1).
# The K710 head becomes a K400 head with the official label map (the 400 K710 rows of the
# K400 classes, configs/videomaev2/label_map_k710to400.json):
#   .venv/bin/python tools/convert_checkpoint.py videomaev2/k710to400 \
#       vit_g_hybrid_pt_1200e_k710_ft.pth checkpoints/vit_g_k710_ft_k400_head.pth
_base_ = ['./vit-giant-p14_videomaev2-pt_k710-ft_16x4x5-res224.py']

num_classes = 400
model = dict(
    backbone=dict(drop_path_rate=0.25, init_cfg=None),
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(blending=dict(augments=[
        dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
        dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)])))
load_from = 'checkpoints/vit_g_k710_ft_k400_head.pth'

data_root = 'data/kinetics400/videos_train'
data_root_val = 'data/kinetics400/videos_val'
ann_file_train = 'data/kinetics400/kinetics400_train_list_videos.txt'
ann_file_val = 'data/kinetics400/kinetics400_val_list_videos.txt'
train_dataloader = dict(dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root)))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root_val)))
test_dataloader = val_dataloader

gpus = 32
batch_size = 3
max_epochs = 3
warmup_epochs = 1
lr = 1e-5 * batch_size * gpus / 256
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
optim_wrapper = dict(optimizer=dict(lr=lr), clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-8 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6 * batch_size * gpus / 256, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, convert_to_iter_based=True)
]
