"""UMT student: the core :class:`VideoViT` configured as UMT's ViT (tubelet 1, q/v bias)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mmvideofm.models.backbones import VideoViT
from mmvideofm.registry import MODELS

__all__ = ['UMTViT']

# UMT's fine-tune model builds its sinusoid for 8 frames at 224 px (1568 positions; 2048 =
# 8x16x16 for patch 14) and resamples it to the model's grid.
_BASE_THW = {16: (8, 14, 14), 14: (8, 16, 16)}


@MODELS.register_module()
class UMTViT(VideoViT):
    """UMT video ViT (https://arxiv.org/abs/2303.16058), official parameter names.

    Same modules and keys as the official fine-tune ``VisionTransformer`` and mmaction2's
    ``projects/umt`` ``UMTViT`` (whose constructor names ``all_frames``, ``in_chans``,
    ``use_checkpoint``, ``checkpoint_num``, ``norm_layer`` are accepted). mmaction2 1.2.0's
    wheel does not ship ``projects/`` so the name shadows nothing there.

    Args:
        arch: ``'b'`` (768/12/12) or ``'l'`` (1024/24/16), or a dict (see :class:`VideoViT`).
        num_frames: Frames the model is built for (UMT: 8, or 16 for the 16-frame models).
        tubelet_size: 1 in every UMT model.
        pos_embed_base_thw: ``'auto'`` = the fine-tune table: sinusoid for (8, 14, 14)
            resampled (bicubic space, linear time) to the model grid, a frozen Parameter
            stored in the state dict when the grid differs (16 frames, 384 px), exactly as
            the official model; ``None`` = the plain table of the pretraining student.
        **kwargs: Any :class:`VideoViT` argument (``img_size``, ``drop_path_rate``,
            ``use_mean_pooling``, ``num_classes``, ``with_cp`` ...).
    """

    def __init__(self,
                 arch: str | dict = 'b',
                 num_frames: int = 8,
                 tubelet_size: int = 1,
                 pos_embed_base_thw: str | Sequence[int] | None = 'auto',
                 qkv_bias: bool = True,
                 **kwargs: Any) -> None:
        if pos_embed_base_thw == 'auto':
            if kwargs.get('patch_size') is not None:
                patch = kwargs['patch_size']
            elif isinstance(arch, str):
                patch = self.arch_zoo[arch.lower()]['patch_size'] if arch.lower() in \
                    self.arch_zoo else 16
            else:
                patch = arch.get('patch_size', 16)
            pos_embed_base_thw = _BASE_THW.get(patch, (8, 224 // patch, 224 // patch))
        super().__init__(arch=arch, num_frames=num_frames, tubelet_size=tubelet_size,
                         pos_embed_base_thw=pos_embed_base_thw, qkv_bias=qkv_bias, **kwargs)
