# ViCLIP-B/16 (InternVid-10M-FLT) zero-shot Kinetics-400. Paper: 58.52 / 71.11 (top-1 / AVG).
_base_ = ['./viclip-large-p14_internvid-10m-flt_zero-shot_u8-res224_k400.py']

model = dict(vision_encoder=dict(arch='b16', checkpoint_num=12), text_encoder=dict(arch='b'))
