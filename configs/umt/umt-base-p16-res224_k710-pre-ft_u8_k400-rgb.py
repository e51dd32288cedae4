# UMT-B/16 K710-pretrained, K710-fine-tuned, then K400 (paper 87.4 top-1, 8x224, 4x3 views).
# Official: single_modality/exp/finetuning/k400/b16_ptk710_ftk710_ftk400_f8_res224.sh
# (16 GPUs x 16, num_sample 2, 5 epochs, warmup 1, lr 2e-5 * bs * num_sample / 256, layer
# decay 0.75, drop path 0.1). Start from the K710 fine-tuned file with its head sliced to the
# first 400 rows, as the official code does:
#   .venv/bin/python tools/convert_checkpoint.py umt/k710to400 b16_ptk710_ftk710_f8_res224.pth \
#       checkpoints/b16_ptk710_ftk710_k400-head.pth
#   .venv/bin/python tools/train.py THIS_CONFIG --cfg-options \
#       load_from=checkpoints/b16_ptk710_ftk710_k400-head.pth
_base_ = ['./umt-base-p16-res224_k710-pre-ft_u8_k710-rgb.py']

num_classes = 400
model = dict(
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(blending=dict(augments=[
        dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
        dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)])))
data_root = 'data/kinetics400/videos_train'
data_root_val = 'data/kinetics400/videos_val'
ann_file_train = 'data/kinetics400/kinetics400_train_list_videos.txt'
ann_file_val = 'data/kinetics400/kinetics400_val_list_videos.txt'
train_dataloader = dict(dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root)))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root_val)))
test_dataloader = val_dataloader

max_epochs = 5
warmup_epochs = 1
gpus = 16
num_sample = 2
lr = 2e-5 * 16 * gpus * num_sample / 256
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
optim_wrapper = dict(optimizer=dict(lr=lr), paramwise_cfg=dict(layer_decay_rate=0.75))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
