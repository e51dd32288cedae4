# VideoMAE V2 pre-training of ViT-B/16 with dual masking on UnlabeledHybrid.
# Official: scripts/pretrain/vit_b_hybrid_pt.sh (32 GPUs x 32 clips, num_sample 4 repeated
# augmentation, 200 epochs x 4 = "800e", lr 1e-3 * 32 * 32 / 256, AdamW (0.9, 0.95), wd 0.05,
# warmup 20 epochs from 1e-6, cosine to 1e-5; tube mask 0.9, running-cell decoder mask 0.5,
# decoder depth 4; 16 frames, sampling interval 4 (2 for SSv2), 224 px multi-scale crop).
# data: UnlabeledHybrid as a video list ("path label", dummy labels), 16 x 4, num_sample 4.
# Model and schedule: the defaults of configs/_base_/models/videomaev2_vit-base-p16_pretrain.py
# and configs/_base_/schedules/pretrain_adamw_warmup-cosine.py.
_base_ = [
    '../_base_/models/videomaev2_vit-base-p16_pretrain.py',
    '../_base_/datasets/video_pretrain.py',
    '../_base_/schedules/pretrain_adamw_warmup-cosine.py', '../_base_/default_runtime.py'
]
custom_imports = dict(imports=['projects.videomaev2'], allow_failed_imports=False)

arch = 'b'
img_size = 224

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'mask_token': dict(decay_mult=0.)}))
default_hooks = dict(checkpoint=dict(interval=20, max_keep_ckpts=3, save_best=None))
log_processor = dict(by_epoch=True)
