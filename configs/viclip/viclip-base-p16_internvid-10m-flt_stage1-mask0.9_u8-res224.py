# ViCLIP-B/16 stage 1: as ViCLIP-L/14 with the B sizes and lr 2e-4 (official viclip_base).
_base_ = ['./viclip-large-p14_internvid-10m-flt_stage1-mask0.9_u8-res224.py']

model = dict(vision_encoder=dict(arch='b16', checkpoint_num=12), text_encoder=dict(arch='b'))
optim_wrapper = dict(optimizer=dict(lr=2e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=0.5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=9.5, eta_min=2e-6, by_epoch=True, begin=0.5, end=10,
         convert_to_iter_based=True)
]
