"""CLIP text tower with Harvest's learnable mask embedding (CLIP's vocabulary has no [MASK]).

The tower stays causal; a masked position's token embedding is overwritten by
``text_mask_embedding`` (official ``VideoIntern.text_mask_embedding``, ``(1, 1, width)``)
before the positional embedding is added. Pooling still reads the EOT position of the
original ids.
"""
from __future__ import annotations

import torch
from torch import nn

from mmvideofm.models.text import CLIPTextTransformer
from mmvideofm.registry import MODELS

__all__ = ['HarvestCLIPText']


@MODELS.register_module()
class HarvestCLIPText(CLIPTextTransformer):
    """:class:`CLIPTextTransformer` plus ``text_mask_embedding``; see its arguments."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.text_mask_embedding = nn.Parameter(0.02 * torch.randn(1, 1, self.width))
        self._masked: torch.Tensor | None = None
        self.token_embedding.register_forward_hook(self._insert_mask_embedding)

    def _insert_mask_embedding(self, module: nn.Module, args, output: torch.Tensor
                               ) -> torch.Tensor:
        if self._masked is None:
            return output
        return torch.where(self._masked[..., None], self.text_mask_embedding.to(output.dtype),
                           output)

    def forward_text(self, input_ids: torch.Tensor,
                     attention_mask: torch.Tensor | None = None,
                     masked_indices: torch.Tensor | None = None) -> torch.Tensor:
        """Token features ``(B, L, width)``; ``masked_indices`` ``(B, L)`` bool positions get
        the mask embedding."""
        if masked_indices is not None and masked_indices.shape != input_ids.shape:
            raise ValueError(f'masked_indices {tuple(masked_indices.shape)} must match the ids '
                             f'{tuple(input_ids.shape)}')
        self._masked = masked_indices
        try:
            return super().forward_text(input_ids, attention_mask)
        finally:
            self._masked = None
