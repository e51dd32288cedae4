# ViT-g/14: pre-train (1200e) -> K710 post-pre-train -> HMDB51 (official model zoo: 88.1 / 98.5
# top-1 / top-5, 16x5x3). Official: scripts/finetune/vit_g_k710_it_hmdb51_ft.sh: the UCF101
# recipe with 15 epochs, lr 5e-4 * 3 * 8 / 256 and sampling interval 2 (split 1 by default).
_base_ = ['./vit-giant-p14_videomaev2-pt-k710-ft_ucf101-ft_16x4x5-res224.py']

num_classes = 51
model = dict(
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(blending=dict(augments=[
        dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
        dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)])))

# HMDB51 as mmaction2 lays it out (tools/data/hmdb51), split 1; 16 frames x interval 2
data_root = 'data/hmdb51/videos'
ann_file_train = 'data/hmdb51/hmdb51_train_split_1_videos.txt'
ann_file_val = 'data/hmdb51/hmdb51_val_split_1_videos.txt'
train_pipeline = [  # [VideoInit, sampler, VideoDecode, ...]
    *_base_.train_pipeline[:1], dict(_base_.train_pipeline[1], frame_interval=2),
    *_base_.train_pipeline[2:]
]
val_pipeline = [
    *_base_.val_pipeline[:1], dict(_base_.val_pipeline[1], frame_interval=2),
    *_base_.val_pipeline[2:]
]
test_pipeline = [
    *_base_.test_pipeline[:1], dict(_base_.test_pipeline[1], frame_interval=2),
    *_base_.test_pipeline[2:]
]
train_dataloader = dict(dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root),
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root),
                                   pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root),
                                    pipeline=test_pipeline))

max_epochs = 15
lr = 5e-4 * 3 * 8 / 256
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-8 / lr, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 5, eta_min=1e-6 * 3 * 8 / 256,
         by_epoch=True, begin=5, end=max_epochs, convert_to_iter_based=True)
]
