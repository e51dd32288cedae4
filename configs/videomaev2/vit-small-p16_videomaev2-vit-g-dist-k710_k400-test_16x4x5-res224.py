# Released ViT-S/16 distilled from the K710 ViT-g (vit_s_k710_dl_from_giant.pth), tested on
# K400 with 16 x 5 x 3 views (paper: 83.7 top-1; mmaction2 re-test 83.6 / 96.3). Convert the
# 710-way head with `tools/convert_checkpoint.py videomaev2/k710to400 IN OUT` first.
_base_ = ['./vit-base-p16_videomaev2-vit-g-dist-k710_k400-test_16x4x5-res224.py']

model = dict(backbone=dict(arch='s'), cls_head=dict(in_channels=384))
