# The data preprocessor of every video model here: ImageNet mean / std on 0..255 frames,
# clips (N, C, T, H, W). The configs' one copy of mmvideofm.constants.IMAGENET_PREPROCESSOR
# (mmengine's file configs cannot import Python modules; tests/projects/test_config_bases.py
# checks the two agree). Model bases inherit it; leaves write `_base_.imagenet_preprocessor`.
imagenet_preprocessor = dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                             std=[58.395, 57.12, 57.375], format_shape='NCTHW')
