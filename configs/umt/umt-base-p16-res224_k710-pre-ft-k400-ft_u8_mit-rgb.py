# UMT-B/16 K710 -> K710 ft -> K400 ft -> Moments in Time V1 (paper 44.6 top-1, 8x224, 4 clips x
# 3 crops), from the K400 model (b16_ptk710_ftk710_ftk400_f8_res224.pth, new 339-way head).
# Official: single_modality/exp/finetuning/mitv1/b16_ptk710_ftk710_ftk400_ftmitv1_f8_res224.sh
# (16 GPUs x 32, num_sample 1, 40 epochs, warmup 5, lr 1e-4 * bs / 256, layer decay 0.75
# (default), drop path 0.1, wd 0.05; sparse sampling; test 4 x 3).
_base_ = ['./umt-base-p16-res224_k710-pre-ft_u8_k400-rgb.py']

num_classes = 339
model = dict(
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(blending=dict(augments=[
        dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
        dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)])))
# MiT V1 as mmaction2 lays it out (tools/data/mit): videos/{training,validation} + list files
data_root = 'data/mit/videos/training'
data_root_val = 'data/mit/videos/validation'
ann_file_train = 'data/mit/mit_train_list_videos.txt'
ann_file_val = 'data/mit/mit_val_list_videos.txt'
train_dataloader = dict(batch_size=32, dataset=dict(
    num_repeats=1, ann_file=ann_file_train, data_prefix=dict(video=data_root)))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root_val)))
test_dataloader = val_dataloader

max_epochs = 40
warmup_epochs = 5
lr = 1e-4 * 32 * 16 / 256
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
