"""Small helpers shared by the video algorithms."""
from __future__ import annotations

import torch


def as_clip_batch(inputs: torch.Tensor | list | tuple) -> torch.Tensor:
    """Fold mmaction2's views into the batch: (N, V, C, T, H, W) -> (N*V, C, T, H, W)."""
    if isinstance(inputs, (list, tuple)):
        inputs = torch.stack(list(inputs))
    if inputs.ndim == 6:
        inputs = inputs.flatten(0, 1)
    if inputs.ndim != 5:
        raise ValueError(f'expected a clip batch (B, C, T, H, W), got {tuple(inputs.shape)}')
    return inputs
