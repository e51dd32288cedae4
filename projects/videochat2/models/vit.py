"""VideoChat2's UMT-L vision encoder: the core :class:`VideoViT` configured as the official
``models/blip2/vit.py`` (``PretrainVisionTransformerEncoder``).

Only ``encoder_depth + return_index + 1`` blocks exist (UMT-L 24 / -2 -> 23), there is no
final norm and no pooling norm, and the fixed sinusoid table is regenerated for every input
grid: the checkpoint table (``ckpt_num_frame`` x 14 x 14) resampled bicubic in space and
linearly in time (4 -> T), and ``img_pos_embed`` (1 x 14 x 14 -> h x w) for T == 1. The tables
are never in the state dict, as in the official code.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from mmvideofm.models.backbones import VideoViT
from mmvideofm.models.layers import build_sinusoid_pos_embed
from mmvideofm.registry import MODELS

__all__ = ['VideoChat2ViT']


@MODELS.register_module()
class VideoChat2ViT(VideoViT):
    """UMT ViT as VideoChat2 builds it (https://arxiv.org/abs/2311.17005).

    ``forward(x)``: ``x`` (B, C, T, H, W) -> tokens (B, T*h*w, C) of the last instantiated block.

    Args:
        encoder_depth: Depth of the pretrained UMT (24 for UMT-L).
        return_index: Official ``return_index``; ``encoder_depth + return_index + 1`` blocks
            are built (-2 -> the penultimate layer's output).
        ckpt_num_frame: Frames of the base table (official class default 4).
        base_grid: Spatial side of the base table (14, hard-coded officially).
        **kwargs: :class:`VideoViT` arguments (``img_size``, ``patch_size``, ``embed_dim``,
            ``num_heads``, ``num_frames``, ``drop_path_rate``, ``with_cp`` ...).
    """

    def __init__(self,
                 arch: str | dict = 'l',
                 encoder_depth: int = 24,
                 return_index: int = -2,
                 ckpt_num_frame: int = 4,
                 base_grid: int = 14,
                 num_frames: int = 8,
                 tubelet_size: int = 1,
                 **kwargs: Any) -> None:
        depth = encoder_depth + return_index + 1
        if not 0 < depth <= encoder_depth:
            raise ValueError(f'VideoChat2ViT: return_index={return_index} leaves {depth} of '
                             f'{encoder_depth} blocks; use -1 (last) .. -{encoder_depth}')
        super().__init__(arch=arch, depth=depth, num_frames=num_frames,
                         tubelet_size=tubelet_size, use_mean_pooling=True, out_type='raw',
                         **kwargs)
        self.encoder_depth = encoder_depth
        self.return_index = return_index
        self.ckpt_num_frame = ckpt_num_frame
        self.base_grid = base_grid
        self.fc_norm = nn.Identity()  # with_ln=False: no final norm at all
        self._tables: dict[tuple[int, int, int], torch.Tensor] = {}

    def pos_table(self, grid: Sequence[int]) -> torch.Tensor:
        """Official table for a token grid: ``img_pos_embed`` if T == 1 else ``pos_embed``."""
        grid = tuple(int(v) for v in grid)
        if grid not in self._tables:
            base_t = 1 if grid[0] == 1 else self.ckpt_num_frame
            self._tables[grid] = build_sinusoid_pos_embed(
                grid, self.embed_dim, (base_t, self.base_grid, self.base_grid))
        return self._tables[grid]

    def _pos_embed_for(self, grid: tuple[int, int, int]) -> torch.Tensor:
        return self.pos_table(grid).to(self.pos_embed.device)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, C, T, H, W) -> (B, T*h*w, C), no norm."""
        return self.forward_features(x, mask)
