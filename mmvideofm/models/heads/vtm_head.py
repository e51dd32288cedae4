"""Video-text matching (VTM) head, the official ``itm_head`` of ALBEF / UMT / BLIP: fused
[CLS] -> 2 logits (named VTMHead: mmpretrain registers an ``ITMHead`` of its own)."""
from __future__ import annotations

import torch
from torch import nn

from mmvideofm.registry import MODELS

__all__ = ['VTMHead']


@MODELS.register_module()
class VTMHead(nn.Linear):
    """``Linear(width, 2)`` on the fused [CLS] token; logit 1 is "match".

    A ``Linear`` itself, so assigned as ``itm_head`` its keys are the official
    ``itm_head.weight`` / ``itm_head.bias``.
    """

    def __init__(self, in_channels: int, num_classes: int = 2) -> None:
        super().__init__(in_channels, num_classes)

    def forward(self, fused: torch.Tensor) -> torch.Tensor:
        """Fused text tokens ``(B, L, D)`` (the first is [CLS]) or ``(B, D)`` -> ``(B, 2)``."""
        return super().forward(fused[:, 0] if fused.ndim == 3 else fused)

    def match_score(self, fused: torch.Tensor) -> torch.Tensor:
        """The "match" logit ``(B,)`` used to re-rank retrieval candidates."""
        return self(fused)[:, 1]
