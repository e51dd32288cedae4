"""Shared ViT building blocks of the VideoMAE / UMT family."""
from timm.layers import DropPath, drop_path  # stochastic depth: timm's, re-exported

from .attention import Attention, use_fused_attn
from .block import Block
from .masking import (
    RandomTokenMaskGenerator,
    RunningCellMaskGenerator,
    TubeMaskGenerator,
    random_masking,
    running_cell_mask_maps,
    running_cell_masking,
    semantic_masking,
    tube_masking,
)
from .mlp import Mlp
from .patch_embed import PatchEmbed
from .pos_embed import build_sinusoid_pos_embed, get_sinusoid_encoding_table, resample_pos_embed

__all__ = [
    'Attention', 'use_fused_attn', 'Block', 'DropPath', 'drop_path', 'Mlp', 'PatchEmbed',
    'get_sinusoid_encoding_table', 'resample_pos_embed', 'build_sinusoid_pos_embed',
    'random_masking', 'tube_masking', 'running_cell_mask_maps', 'running_cell_masking',
    'semantic_masking', 'RandomTokenMaskGenerator', 'TubeMaskGenerator',
    'RunningCellMaskGenerator'
]
