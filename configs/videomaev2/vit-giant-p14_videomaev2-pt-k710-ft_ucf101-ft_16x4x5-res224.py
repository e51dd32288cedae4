# ViT-g/14: pre-train (1200e) -> K710 post-pre-train -> UCF101 (official model zoo: 99.6 / 100.0
# top-1 / top-5, 16x5x3). Official: scripts/finetune/vit_g_k710_it_ucf101_ft.sh (split 1 by
# default; 8 GPUs x 3, num_sample 2, 50 epochs, warmup 5 (default), lr 1e-3 * 3 * 8 / 256,
# layer decay 0.9, wd 0.05, drop path 0.35, head dropout 0.5, no gradient clipping; dense
# 16 x 4; test 5 x 3). Starts from the K710 fine-tuned file; its 710-way head is not loaded.
_base_ = ['./vit-giant-p14_videomaev2-pt_k710-ft_16x4x5-res224.py']

num_classes = 101
model = dict(
    backbone=dict(drop_path_rate=0.35,
                  init_cfg=dict(checkpoint='checkpoints/vit_g_hybrid_pt_1200e_k710_ft.pth')),
    cls_head=dict(num_classes=num_classes, dropout_ratio=0.5),
    data_preprocessor=dict(blending=dict(augments=[
        dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
        dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)])))

# UCF101 as mmaction2 lays it out (tools/data/ucf101), split 1
data_root = 'data/ucf101/videos'
ann_file_train = 'data/ucf101/ucf101_train_split_1_videos.txt'
ann_file_val = 'data/ucf101/ucf101_val_split_1_videos.txt'
train_dataloader = dict(dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root)))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root)))
test_dataloader = val_dataloader

gpus = 8
batch_size = 3
max_epochs = 50
warmup_epochs = 5
lr = 1e-3 * batch_size * gpus / 256
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=lr, weight_decay=0.05), clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-8 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6 * batch_size * gpus / 256, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, convert_to_iter_based=True)
]
