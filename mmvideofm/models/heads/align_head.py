"""UMT's alignment head: maps K student layers into the teacher's space (stages 1 and 2).

Official ``Linear_Decoder`` (``clip_decoder.{i}.head`` / ``clip_decoder.{i}.norm``): one
Linear -> LayerNorm (-> L2 normalise in stage 1) per aligned layer.
"""
from __future__ import annotations

import torch
from torch import nn

from mmvideofm.registry import MODELS

__all__ = ['ClipDecoder', 'AlignHead']


@MODELS.register_module()
class ClipDecoder(nn.Module):
    """One alignment decoder (official ``Linear_Decoder``): Linear -> LayerNorm -> L2 norm.

    Args:
        embed_dim: Student width.
        output_dim: Teacher width.
        norm_eps: LayerNorm epsilon (1e-6 in stage 1, 1e-5 in stage 2).
        l2_norm: L2-normalise the output (stage 1; stage 2 does not).
    """

    def __init__(self, embed_dim: int, output_dim: int, norm_eps: float = 1e-6,
                 l2_norm: bool = True) -> None:
        super().__init__()
        self.head = nn.Linear(embed_dim, output_dim)
        self.norm = nn.LayerNorm(output_dim, eps=norm_eps)
        self.l2_norm = l2_norm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.head(x))
        return x / x.norm(dim=-1, keepdim=True) if self.l2_norm else x


@MODELS.register_module()
class AlignHead(nn.ModuleList):
    """K :class:`ClipDecoder`, one per aligned student layer.

    A ``ModuleList``, so assigned as ``clip_decoder`` its keys are the official
    ``clip_decoder.{i}.head.*`` / ``clip_decoder.{i}.norm.*``.

    Args:
        num_layers: K, the number of aligned layers.
        embed_dim / output_dim / norm_eps / l2_norm: As :class:`ClipDecoder`.
    """

    def __init__(self, num_layers: int, embed_dim: int, output_dim: int,
                 norm_eps: float = 1e-6, l2_norm: bool = True) -> None:
        super().__init__([ClipDecoder(embed_dim, output_dim, norm_eps, l2_norm)
                          for _ in range(num_layers)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Student layers ``(K, B, N, C)`` -> teacher space ``(K, B, N, C_t)``."""
        if x.shape[0] != len(self):
            raise ValueError(f'AlignHead has {len(self)} decoders but got {x.shape[0]} layers')
        return torch.stack([dec(x[k]) for k, dec in enumerate(self)])
