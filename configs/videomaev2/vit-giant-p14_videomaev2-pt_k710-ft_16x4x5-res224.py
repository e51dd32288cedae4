# VideoMAE V2 post-pre-training ("LabeledHybrid" = ordinary K710 fine-tuning) of ViT-g/14
# from the 1200e pre-trained encoder (paper: 83.8 top-1 on K710, 16x5x3 views).
# Official: scripts/finetune/vit_g_k710_ft.sh (32 GPUs x 3 clips, num_sample 2 repeated aug,
# 35 epochs, warmup 5, lr 1e-3 * 3 * 32 / 256, AdamW (0.9, 0.999), wd 0.1, layer decay 0.9,
# drop path 0.3, clip_grad 5.0, RandAug m7-n4, mixup 0.8 / cutmix 1.0, label smoothing 0.1,
# reprob 0.25; dense sampling 16 x 4; test 5 clips x 3 crops, short side 224).
_base_ = [
    '../_base_/models/vit-giant-p14_recognizer.py', '../_base_/datasets/k710_video.py',
    '../_base_/schedules/finetune_adamw-layer-decay_warmup-cosine.py',
    '../_base_/default_runtime.py'
]
custom_imports = dict(imports=['projects.videomaev2'], allow_failed_imports=False)

arch = 'g'
embed_dim = 1408
num_classes = 710
pretrained = 'checkpoints/vit_g_hybrid_pt_1200e.pth'  # the official file, converted on load
model = dict(backbone=dict(init_cfg=dict(type='VideoMAEv2Pretrained', checkpoint=pretrained)))

# K710 with the shared Kinetics pipelines: dense 16 x 4 sampling, RandAug / random erasing,
# num_sample 2; test 5 clips x 3 crops (configs/_base_/datasets/kinetics_video.py)
train_dataloader = dict(batch_size=3)

# warm-up from 1e-8, cosine to 1e-6, both scaled like lr
gpus = 32
batch_size = 3
max_epochs = 35
warmup_epochs = 5
lr = 1e-3 * batch_size * gpus / 256
optim_wrapper = dict(optimizer=dict(lr=lr, weight_decay=0.1),
                     paramwise_cfg=dict(layer_decay_rate=0.9), clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-8 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6 * batch_size * gpus / 256, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_best='acc/top1',
                                     rule='greater'))
