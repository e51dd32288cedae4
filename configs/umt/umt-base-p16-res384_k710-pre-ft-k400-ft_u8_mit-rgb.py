# UMT-B/16 at 384 px on Moments in Time V1 (official model zoo: 45.5 top-1, 8x384, 4 x 3 views;
# the zoo's row says "UMT-L/16 384" but links b16_..._ftmitv1_f8_res384.pth and this script).
# Official: single_modality/exp/finetuning/mitv1/b16_ptk710_ftk710_ftk400_ftmitv1_f8_res384.sh
# (--finetune b16_ptk710_ftk710_ftk400_f8_res224.pth; 16 GPUs x 16, num_sample 1, 4 epochs,
# warmup 1, lr 1e-5 * bs / 256, drop path 0.1, wd 0.1; input and short side 384; test 4 x 3).
# The 14x14 sinusoid is resampled to 24x24 (a frozen `pos_embed` Parameter, as the official).
_base_ = ['./umt-base-p16-res224_k710-pre-ft-k400-ft_u8_mit-rgb.py']

img_size = 384
model = dict(backbone=dict(img_size=img_size))
# the 224-px pipelines at 384: RandAugment's input size and the final train resize, the
# val / test short side and crops
train_pipeline = [dict(t, scale=(img_size, img_size)) if t.get('keep_ratio') is False else
                  dict(t, input_size=img_size) if 'input_size' in t else t
                  for t in _base_.train_pipeline]
val_pipeline = [dict(t, scale=(-1, img_size)) if t.type == 'Resize' else
                dict(t, crop_size=img_size) if 'crop_size' in t else t
                for t in _base_.val_pipeline]
test_pipeline = [dict(t, scale=(-1, img_size)) if t.type == 'Resize' else
                 dict(t, crop_size=img_size) if 'crop_size' in t else t
                 for t in _base_.test_pipeline]
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

max_epochs = 4
warmup_epochs = 1
lr = 1e-5 * 16 * 16 / 256
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
optim_wrapper = dict(optimizer=dict(lr=lr, weight_decay=0.1))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
