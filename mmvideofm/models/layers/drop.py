"""Stochastic depth (drop path), as in "Deep Networks with Stochastic Depth"."""
import torch
from torch import nn


def drop_path(x: torch.Tensor, drop_prob: float = 0., training: bool = False) -> torch.Tensor:
    """Zero whole samples of a residual branch with probability ``drop_prob``.

    Kept samples are rescaled by ``1 / (1 - drop_prob)`` so the expectation is unchanged.
    """
    if drop_prob == 0. or not training:
        return x
    keep_prob = 1. - drop_prob
    shape = (x.shape[0], ) + (1, ) * (x.ndim - 1)  # (B, 1, ..., 1)
    mask = x.new_empty(shape).bernoulli_(keep_prob)
    return x * mask.div_(keep_prob)


class DropPath(nn.Module):
    """Drop paths (stochastic depth) per sample, in the main path of a residual block."""

    def __init__(self, drop_prob: float = 0.) -> None:
        super().__init__()
        self.drop_prob = float(drop_prob)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return drop_path(x, self.drop_prob, self.training)

    def extra_repr(self) -> str:
        return f'p={self.drop_prob}'
