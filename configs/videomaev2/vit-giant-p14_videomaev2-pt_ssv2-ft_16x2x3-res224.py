# ViT-g/14: pre-train (1200e) -> SSv2 (paper: 77.0 top-1, 16x2x3 views). SSv2 starts from the
# raw pre-trained encoder (no K710 post-pre-training).
# Official: scripts/finetune/vit_g_ssv2_ft.sh (32 GPUs x 3, 20 epochs, warmup 5,
# lr 3e-4 * 3 * 32 / 256, drop path 0.25, layer decay 0.9, wd 0.05; sparse (TSN-style)
# sampling of 16 segments, no flip; test 2 clips x 3 crops).
_base_ = ['./vit-giant-p14_videomaev2-pt_k710-ft_16x4x5-res224.py']

num_frames = 16
num_classes = 174
model = dict(
    backbone=dict(drop_path_rate=0.25),
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(blending=dict(augments=[
        dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
        dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)])))

# SSv2 data: the K710 loaders with SSv2 lists, sparse sampling of 16 segments, 2 test clips
# and no flip
data_root = 'data/sthv2/videos'
data_root_val = data_root
ann_file_train = 'data/sthv2/sthv2_train_list_videos.txt'
ann_file_val = 'data/sthv2/sthv2_val_list_videos.txt'
train_pipeline = [
    dict(type='VideoInit'), dict(type='UniformSample', clip_len=num_frames, num_clips=1),
    dict(type='VideoDecode'), *[t for t in _base_.train_transforms if t.type != 'Flip']
]
val_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1, test_mode=True),
    dict(type='VideoDecode'), *_base_.val_transforms
]
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=2, test_mode=True),
    dict(type='VideoDecode'), *_base_.test_transforms
]
train_dataloader = dict(dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root),
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root),
                                   pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root),
                                    pipeline=test_pipeline))

gpus = 32
batch_size = 3
max_epochs = 20
warmup_epochs = 5
lr = 3e-4 * batch_size * gpus / 256
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=lr, weight_decay=0.05), clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-8 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6 * batch_size * gpus / 256, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, convert_to_iter_based=True)
]
