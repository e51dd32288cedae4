# The from-scratch baseline for the synthetic comparison: same model, data and fine-tuning
# budget and optimizer as vit-tiny-p4_videomaev2-pt-ft_direction-8x32_synthetic.py, random init.
_base_ = ['./vit-tiny-p4_videomaev2-pt-ft_direction-8x32_synthetic.py']

model = dict(backbone=dict(init_cfg=None))
