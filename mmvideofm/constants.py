"""Normalisation constants: the one place they are written (configs use the 0..255 ones)."""
from __future__ import annotations

__all__ = ['IMAGENET_MEAN', 'IMAGENET_STD', 'IMAGENET_MEAN_255', 'IMAGENET_STD_255',
           'CLIP_MEAN', 'CLIP_STD', 'CLIP_MEAN_255', 'CLIP_STD_255',
           'IMAGENET_PREPROCESSOR', 'CLIP_PREPROCESSOR']

# in [0, 1] units
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

# on 0..255 frames (mmaction2's ActionDataPreprocessor)
IMAGENET_MEAN_255 = (123.675, 116.28, 103.53)
IMAGENET_STD_255 = (58.395, 57.12, 57.375)
CLIP_MEAN_255 = tuple(round(255 * m, 6) for m in CLIP_MEAN)
CLIP_STD_255 = tuple(round(255 * s, 6) for s in CLIP_STD)

#: ``ActionDataPreprocessor`` configs for clips ``(N, C, T, H, W)``
IMAGENET_PREPROCESSOR = dict(type='ActionDataPreprocessor', mean=list(IMAGENET_MEAN_255),
                             std=list(IMAGENET_STD_255), format_shape='NCTHW')
CLIP_PREPROCESSOR = dict(type='ActionDataPreprocessor', mean=list(CLIP_MEAN_255),
                         std=list(CLIP_STD_255), format_shape='NCTHW')
