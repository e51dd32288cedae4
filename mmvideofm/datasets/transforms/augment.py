"""Clip-consistent RandAugment: timm's policy, one draw per clip, applied to every frame.

The official UMT / VideoMAE V2 fine-tuning (``create_random_augment`` in their
``video_transforms.py``) runs a video copy of timm's RandAugment on the decoded frames before
the crop: the ops, whether each fires and its magnitude are drawn once per clip and the same
op is applied to every frame. Here timm's own ``rand_augment_transform`` builds the policy and
its draws are replayed for each frame, so every frame sees exactly what timm would do to it
alone under the same random state.
"""
from __future__ import annotations

import random

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from mmvideofm.registry import TRANSFORMS

_PIL_INTERP = {'bilinear': Image.BILINEAR, 'bicubic': Image.BICUBIC,
               'nearest': Image.NEAREST}


@TRANSFORMS.register_module()
class VideoRandAugment(BaseTransform):
    """timm RandAugment (``auto_augment`` string, e.g. ``'rand-m7-n4-mstd0.5-inc1'``) on a clip.

    ``input_size`` is the crop the model sees: as in the official code the absolute translate
    range is ``int(0.45 * input_size)`` and the fill colour timm's grey (128, 128, 128).
    Reads / writes ``imgs`` (list of ``(H, W, 3)`` uint8 RGB); randomness comes from Python's
    ``random`` and numpy's global generators, as in timm (mmengine seeds both per worker).
    """

    def __init__(self, auto_augment: str = 'rand-m7-n4-mstd0.5-inc1', input_size: int = 224,
                 interpolation: str = 'bicubic') -> None:
        from timm.data.auto_augment import rand_augment_transform
        if not auto_augment.startswith('rand'):
            raise ValueError(f"VideoRandAugment: auto_augment must be a timm RandAugment string "
                             f"such as 'rand-m7-n4-mstd0.5-inc1', got {auto_augment!r}")
        if interpolation not in _PIL_INTERP:
            raise ValueError(f'VideoRandAugment: interpolation must be one of '
                             f'{sorted(_PIL_INTERP)}, got {interpolation!r}')
        self.auto_augment = auto_augment
        self.input_size = input_size
        self.interpolation = interpolation
        hparams = dict(translate_const=int(input_size * 0.45),
                       interpolation=_PIL_INTERP[interpolation])
        self.policy = rand_augment_transform(auto_augment, hparams)  # timm RandAugment

    def transform(self, results: dict) -> dict:
        frames = [Image.fromarray(np.ascontiguousarray(f)) for f in results['imgs']]
        policy = self.policy
        ops = np.random.choice(policy.ops, policy.num_layers,
                               replace=policy.choice_weights is None, p=policy.choice_weights)
        for op in ops:
            state = random.getstate()  # one draw (fire?, magnitude, sign) for the whole clip
            out = []
            for frame in frames:
                random.setstate(state)
                out.append(op(frame))
            frames = out
        results['imgs'] = [np.asarray(f.convert('RGB')) for f in frames]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(auto_augment={self.auto_augment!r}, '
                f'input_size={self.input_size}, interpolation={self.interpolation!r})')
