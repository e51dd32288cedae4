# Released ViT-B/16 distilled from the K710 ViT-g (vit_b_k710_dl_from_giant.pth), tested on
# K400 with 16 frames x 5 clips x 3 crops (paper: 86.6 top-1; mmaction2 re-test 86.6 / 97.3).
# The released file has a 710-way head; map it to K400 with the official label map:
#   .venv/bin/python tools/convert_checkpoint.py videomaev2/k710to400 vit_b_k710_dl_from_giant.pth \
#       checkpoints/vit_b_k710_dl_from_giant_k400.pth
#   .venv/bin/python tools/test.py THIS_CONFIG checkpoints/vit_b_k710_dl_from_giant_k400.pth
_base_ = ['./vit-giant-p14_videomaev2-pt-k710-ft_k400-ft_16x4x5-res224.py']

model = dict(
    backbone=dict(arch='b', drop_path_rate=0., with_cp=False, init_cfg=None),
    cls_head=dict(in_channels=768))
load_from = None
