# ViCLIP-B/16 stage 2 (unmasked tuning at lr 4e-6) from the B stage-1 checkpoint.
_base_ = ['./viclip-large-p14_internvid-10m-flt_stage2-unmasked_u8-res224.py']

model = dict(vision_encoder=dict(arch='b16', checkpoint_num=12), text_encoder=dict(arch='b'))
load_from = 'work_dirs/viclip-base-p16_internvid-10m-flt_stage1-mask0.9_u8-res224/epoch_10.pth'
