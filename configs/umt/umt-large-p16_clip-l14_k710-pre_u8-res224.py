# UMT stage 1 (L/16): CLIP ViT-L/14 teacher at 196 px (14x14 grid = the student's), drop
# path 0.2. Official: single_modality/exp/pretraining/l16_ptk710_f8_res224.sh.
_base_ = ['./umt-base-p16_clip-b16_k710-pre_u8-res224.py']

model = dict(
    backbone=dict(arch='l', drop_path_rate=0.2),
    teacher=dict(arch='l14', input_resolution=196))
