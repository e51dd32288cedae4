"""Token masking generators of the VideoMAE / UMT family.

All return a bool mask of shape ``(B, T*H*W)`` in (t, h, w) raster order with
``True = masked`` (hidden from the encoder), and draw randomness only from the explicit
``torch.Generator`` they are given (never the global RNG).
"""
import math
import os
from collections.abc import Sequence

import torch
from mmcv.transforms import BaseTransform

from mmvideofm.registry import TRANSFORMS

from ..utils import check_ratio

Device = str | torch.device | None


def _grid(grid_thw: Sequence[int]) -> tuple[int, int, int]:
    t, h, w = (int(v) for v in grid_thw)
    if min(t, h, w) <= 0:
        raise ValueError(f'grid_thw must be three positive ints, got {tuple(grid_thw)}')
    return t, h, w


def _mask_from_ranks(noise: torch.Tensor, num_masked: int) -> torch.Tensor:
    """Mask the ``num_masked`` positions with the smallest noise along the last dim."""
    ids = noise.argsort(dim=-1)[..., :num_masked]
    mask = torch.zeros_like(noise, dtype=torch.bool)
    return mask.scatter_(-1, ids, True)


def random_masking(batch_size: int,
                   num_tokens: int,
                   mask_ratio: float,
                   generator: torch.Generator | None = None,
                   device: Device = None) -> torch.Tensor:
    """Uniform random masking: exactly ``int(mask_ratio * num_tokens)`` masked per sample."""
    mask_ratio = check_ratio(mask_ratio, 'mask_ratio')
    noise = torch.rand(batch_size, num_tokens, generator=generator, device=device)
    return _mask_from_ranks(noise, int(mask_ratio * num_tokens))


def tube_masking(batch_size: int,
                 grid_thw: Sequence[int],
                 mask_ratio: float,
                 generator: torch.Generator | None = None,
                 device: Device = None) -> torch.Tensor:
    """VideoMAE tube masking: one spatial pattern per sample repeated over time.

    Exactly ``int(mask_ratio * H * W)`` tokens are masked in every frame.
    """
    mask_ratio = check_ratio(mask_ratio, 'mask_ratio')
    t, h, w = _grid(grid_thw)
    noise = torch.rand(batch_size, h * w, generator=generator, device=device)
    frame_mask = _mask_from_ranks(noise, int(mask_ratio * h * w))  # (B, HW)
    return frame_mask.unsqueeze(1).expand(-1, t, -1).reshape(batch_size, t * h * w)


def running_cell_mask_maps(grid_thw: Sequence[int],
                           mask_ratio: float = 0.5,
                           device: Device = None) -> torch.Tensor:
    """The 4 deterministic VideoMAE V2 running-cell patterns, bool ``(4, T, H*W)``.

    A 2x2 cell holds ``int(4 * mask_ratio)`` masked units (must be 1..3). Pattern ``p`` at
    frame ``t`` is the queue ``[1]*n_mask + [0]*n_keep`` rotated left by ``(p + t + 1) % 4``,
    laid out as 2x2 and tiled over the (H, W) grid (H and W must be even).
    """
    mask_ratio = check_ratio(mask_ratio, 'mask_ratio')
    t, h, w = _grid(grid_thw)
    n_mask = int(4 * mask_ratio)
    if not 0 < n_mask < 4:
        raise ValueError(f'running cell masking needs 1..3 masked units per 2x2 cell, '
                         f'mask_ratio={mask_ratio!r} gives {n_mask}')
    if h % 2 or w % 2:
        raise ValueError(f'running cell masking needs an even token grid, got {h}x{w}')
    queue = torch.tensor([True] * n_mask + [False] * (4 - n_mask), device=device)
    ii = torch.arange(h, device=device)[:, None] % 2
    jj = torch.arange(w, device=device)[None, :] % 2
    unit_idx = (ii * 2 + jj).flatten()  # (HW,) position inside the 2x2 cell
    maps = torch.empty(4, t, h * w, dtype=torch.bool, device=device)
    for p in range(4):
        for f in range(t):
            cell = torch.roll(queue, -((p + f + 1) % 4))  # cell[i] = queue[(i + ptr) % 4]
            maps[p, f] = cell[unit_idx]
    return maps


def running_cell_masking(batch_size: int,
                         grid_thw: Sequence[int],
                         mask_ratio: float = 0.5,
                         generator: torch.Generator | None = None,
                         device: Device = None) -> torch.Tensor:
    """VideoMAE V2 running-cell (decoder) masking: one of the 4 patterns per sample.

    ``True`` = not reconstructed by the decoder.
    """
    maps = running_cell_mask_maps(grid_thw, mask_ratio, device=device)  # (4, T, HW)
    choice = torch.randint(0, 4, (batch_size, ), generator=generator, device=device)
    return maps[choice].reshape(batch_size, -1)


def semantic_masking(attn: torch.Tensor,
                     mask_ratio: float,
                     generator: torch.Generator | None = None,
                     num_frames: int | None = None) -> torch.Tensor:
    """UMT semantic masking from the teacher's [CLS] attention.

    Per frame, ``HW - int(HW * mask_ratio)`` tokens are kept, drawn without replacement with
    probability proportional to ``attn`` (as the official ``torch.multinomial`` over all HW,
    first ``N_vis`` kept).

    Args:
        attn: Non-negative attention ``(B, T, HW)``, or ``(B*T, HW)``.
        mask_ratio: Fraction of tokens masked per frame.
        generator: Random generator (on ``attn``'s device).
        num_frames: For 2-D ``attn``, fold the result to ``(B, T*HW)``; without it a 2-D
            input gives a per-frame ``(B*T, HW)`` mask.
    Returns:
        Bool mask, ``(B, T*HW)`` (or ``(B*T, HW)``), True = masked.
    """
    mask_ratio = check_ratio(mask_ratio, 'mask_ratio')
    if attn.ndim == 3:
        b, t, n = attn.shape
        num_frames = t
        flat = attn.reshape(b * t, n)
    elif attn.ndim == 2:
        flat = attn
        n = attn.shape[1]
        if num_frames is not None and flat.shape[0] % num_frames:
            raise ValueError(f'attn has {flat.shape[0]} rows, not a multiple of '
                             f'num_frames={num_frames}')
    else:
        raise ValueError(f'attn must be (B, T, HW) or (B*T, HW), got {tuple(attn.shape)}')
    n_vis = n - int(n * mask_ratio)
    order = torch.multinomial(flat.float(), n, replacement=False, generator=generator)
    mask = torch.ones(flat.shape, dtype=torch.bool, device=flat.device)
    mask.scatter_(1, order[:, :n_vis], False)
    if attn.ndim == 3 or num_frames is not None:
        return mask.reshape(-1, num_frames * n)
    return mask


# ---------------------------------------------------------------------------
# Data-pipeline wrappers for the model-free generators (add a bool (L,) mask to results).
# ---------------------------------------------------------------------------
class _TokenMaskTransform(BaseTransform):
    """Adds ``results[key]``: bool tensor ``(T'*H'*W',)``, True = masked.

    Randomness comes from a per-process ``torch.Generator`` seeded with
    ``seed + torch.initial_seed()``: dataloader workers get distinct, reproducible streams
    (torch seeds each worker from the runner's seed) without touching the global RNG.
    """

    def __init__(self, input_size: Sequence[int], mask_ratio: float, key: str = 'mask',
                 seed: int = 0) -> None:
        self.input_size = _grid(input_size)
        self.mask_ratio = check_ratio(mask_ratio, 'mask_ratio')
        self.key = key
        self.seed = int(seed)
        self._generator: torch.Generator | None = None
        self._pid: int | None = None

    @property
    def generator(self) -> torch.Generator:
        if self._generator is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self._generator = torch.Generator().manual_seed(
                (self.seed + torch.initial_seed()) % (2**63))
        return self._generator

    def _make(self) -> torch.Tensor:
        raise NotImplementedError

    def transform(self, results: dict) -> dict:
        results[self.key] = self._make()
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(input_size={self.input_size}, '
                f'mask_ratio={self.mask_ratio}, key={self.key!r})')

    def __getstate__(self) -> dict:  # generators do not pickle; workers rebuild theirs
        state = dict(self.__dict__)
        state['_generator'], state['_pid'] = None, None
        return state


@TRANSFORMS.register_module()
class RandomTokenMaskGenerator(_TokenMaskTransform):
    """Uniform random token mask (:func:`random_masking`) over a (T', H', W') grid."""

    def _make(self) -> torch.Tensor:
        return random_masking(1, math.prod(self.input_size), self.mask_ratio,
                              generator=self.generator)[0]


@TRANSFORMS.register_module()
class TubeMaskGenerator(_TokenMaskTransform):
    """VideoMAE tube mask (:func:`tube_masking`), e.g. ``input_size=(8, 14, 14)``, 0.9."""

    def _make(self) -> torch.Tensor:
        return tube_masking(1, self.input_size, self.mask_ratio, generator=self.generator)[0]


@TRANSFORMS.register_module()
class RunningCellMaskGenerator(_TokenMaskTransform):
    """VideoMAE V2 decoder mask (:func:`running_cell_masking`); default key
    ``'decoder_mask'``, True = not reconstructed."""

    def __init__(self, input_size: Sequence[int], mask_ratio: float = 0.5,
                 key: str = 'decoder_mask', seed: int = 0) -> None:
        super().__init__(input_size, mask_ratio, key, seed)
        running_cell_mask_maps(self.input_size, self.mask_ratio)  # validate early

    def _make(self) -> torch.Tensor:
        return running_cell_masking(1, self.input_size, self.mask_ratio,
                                    generator=self.generator)[0]
