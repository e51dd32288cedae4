# The from-scratch baseline for the synthetic comparison: same model, data and fine-tuning
# budget as vit-tiny-p4_videomaev2-pt-ft_direction-8x32_synthetic.py, random init, no layer decay.
_base_ = ['./vit-tiny-p4_videomaev2-pt-ft_direction-8x32_synthetic.py']

model = dict(backbone=dict(init_cfg=None))
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=1.0))
