# UMT-B/16 K710-pretrained -> SSv2 (paper 70.8 top-1, 8x224, 2 clips x 3 crops).
# Official: single_modality/exp/finetuning/ssv2/b16_ptk710_ftssv2_f8_res224.sh (16 GPUs x 16,
# num_sample 2, 30 epochs, warmup 5, lr 2e-4 * bs * num_sample / 256, layer decay 0.75, drop
# path 0.1). SSv2 is direction-sensitive: no flip.
_base_ = ['./umt-base-p16-res224_k710-pre-ft_u8_k710-rgb.py']

num_classes = 174
model = dict(
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(blending=dict(augments=[
        dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
        dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)])))
# SSv2 data: the K710 loaders with SSv2 lists, 2 test clips and no flip
data_root = 'data/sthv2/videos'
data_root_val = data_root
ann_file_train = 'data/sthv2/sthv2_train_list_videos.txt'
ann_file_val = 'data/sthv2/sthv2_val_list_videos.txt'
train_pipeline = [t for t in _base_.train_pipeline if t.type != 'Flip']
test_pipeline = [  # [VideoInit, sampler, VideoDecode, ...]: 2 clips instead of 4
    *_base_.test_pipeline[:1], dict(_base_.test_pipeline[1], num_clips=2),
    *_base_.test_pipeline[2:]
]
train_dataloader = dict(dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root),
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root)))
test_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root),
                                    pipeline=test_pipeline))

max_epochs = 30
warmup_epochs = 5
lr = 2e-4 * 16 * 16 * 2 / 256
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
