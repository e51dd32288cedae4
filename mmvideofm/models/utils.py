"""Small helpers shared by the video algorithms."""
from __future__ import annotations

import torch

__all__ = ['as_clip_batch', 'check_ratio']


def as_clip_batch(inputs: torch.Tensor | list | tuple) -> torch.Tensor:
    """Fold mmaction2's views into the batch: (N, V, C, T, H, W) -> (N*V, C, T, H, W)."""
    if isinstance(inputs, (list, tuple)):
        inputs = torch.stack(list(inputs))
    if inputs.ndim == 6:
        inputs = inputs.flatten(0, 1)
    if inputs.ndim != 5:
        raise ValueError(f'expected a clip batch (B, C, T, H, W), got {tuple(inputs.shape)}')
    return inputs


def check_ratio(value: float, name: str, low_inclusive: bool = True) -> float:
    """``value`` as a float in ``[0, 1)`` (``(0, 1)`` if not ``low_inclusive``), else a
    ``ValueError`` naming ``name``."""
    value = float(value)
    ok = (0. <= value < 1.) if low_inclusive else (0. < value < 1.)
    if not ok:
        raise ValueError(f'{name} must be in {"[0" if low_inclusive else "(0"}, 1), got {value!r}')
    return value
