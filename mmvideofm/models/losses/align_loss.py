"""Feature alignment loss: UMT's unmasked token alignment (teacher -> student)."""
from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from mmvideofm.registry import MODELS

__all__ = ['AlignLoss']


@MODELS.register_module()
class AlignLoss(nn.Module):
    """Align student tokens to frozen teacher tokens (UMT's ``clip_loss`` / ``UTA_Loss``).

    ``loss_type='l2'`` is the paper's ``2 - 2 cos`` (on L2-normalised features, the
    squared distance of unit vectors), averaged over layers and tokens. ``'mse'`` and
    ``'smooth_l1'`` are the official alternatives (plain mean reductions).

    Args:
        loss_type: ``'l2'`` (default, the paper), ``'mse'`` or ``'smooth_l1'``.
        norm_type: ``'l2'`` normalises both inputs first (stage 2 does; stage-1 inputs are
            already unit vectors so it is a no-op there), ``'none'`` does not.
        loss_weight: Multiplier on the loss.
    """

    def __init__(self,
                 loss_type: Literal['l2', 'mse', 'smooth_l1'] = 'l2',
                 norm_type: Literal['l2', 'none'] = 'none',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        assert loss_type in ('l2', 'mse', 'smooth_l1'), f'bad loss_type {loss_type!r}'
        assert norm_type in ('l2', 'none'), f'bad norm_type {norm_type!r}'
        self.loss_type = loss_type
        self.norm_type = norm_type
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``pred`` and ``target``: ``(K, B, N, C)`` (or any matching shape, features last)."""
        if pred.shape != target.shape:
            raise ValueError(f'pred {tuple(pred.shape)} and target {tuple(target.shape)} differ')
        target = target.detach()
        if self.norm_type == 'l2':
            pred = pred / pred.norm(dim=-1, keepdim=True)
            target = target / target.norm(dim=-1, keepdim=True)
        if self.loss_type == 'l2':
            loss = (2 - 2 * (pred * target).sum(dim=-1)).mean()
        elif self.loss_type == 'mse':
            loss = F.mse_loss(pred, target)
        else:
            loss = F.smooth_l1_loss(pred, target)
        return self.loss_weight * loss
