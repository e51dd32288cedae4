"""Fixed sinusoid position table and its (T, H, W) resampling.

One table and one resampling function for the whole project: converters, load hooks and
runtime (inputs with another frame count / resolution) all call :func:`resample_pos_embed`.
"""
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.logging import print_log


def get_sinusoid_encoding_table(n_position: int, d_hid: int) -> torch.Tensor:
    """The 1-D sinusoid table of "Attention Is All You Need" over flattened positions.

    ``angle = pos / 10000^(2 * (j // 2) / d_hid)``, ``sin`` on even ``j``, ``cos`` on odd ``j``;
    computed in float64 and cast to float32, exactly like the official VideoMAE / UMT code
    (float32 math deviates by ~1e-4 at 1568 positions).

    Returns:
        Tensor of shape ``(1, n_position, d_hid)``, float32.
    """
    pos = np.arange(n_position, dtype=np.float64)[:, None]  # (N, 1)
    j = np.arange(d_hid)
    angle = pos / np.power(10000, 2 * (j // 2) / d_hid)[None, :]  # (N, D)
    table = np.empty_like(angle)
    table[:, 0::2] = np.sin(angle[:, 0::2])
    table[:, 1::2] = np.cos(angle[:, 1::2])
    return torch.tensor(table, dtype=torch.float32).unsqueeze(0)


def resample_pos_embed(pos_embed: torch.Tensor,
                       old_thw: Sequence[int],
                       new_thw: Sequence[int],
                       num_prefix_tokens: int = 0,
                       spatial_mode: str = 'bicubic',
                       temporal_mode: str = 'linear',
                       align_corners: bool = False,
                       verbose: bool = True) -> torch.Tensor:
    """Resample a (t, h, w)-ordered position table to another token grid.

    Spatial first (each frame, ``spatial_mode``, default bicubic), then temporal
    (each position, ``temporal_mode``, default linear), both ``align_corners=False``: the
    order and modes of UMT's fine-tune model and VideoMAE's checkpoint loading. Computed in
    float32, cast back to the input dtype. Prefix tokens (cls) are kept unchanged.

    Args:
        pos_embed: ``(1, P + T*H*W, C)`` table (``P = num_prefix_tokens``).
        old_thw: Grid (T, H, W) the table was made for.
        new_thw: Target grid (T', H', W').
    Returns:
        ``(1, P + T'*H'*W', C)``.
    """
    old_t, old_h, old_w = (int(v) for v in old_thw)
    new_t, new_h, new_w = (int(v) for v in new_thw)
    if pos_embed.ndim != 3:
        raise ValueError(f'pos_embed must be (1, L, C), got {tuple(pos_embed.shape)}')
    n_old = old_t * old_h * old_w
    if pos_embed.shape[1] != num_prefix_tokens + n_old:
        raise ValueError(f'pos_embed has {pos_embed.shape[1]} tokens, expected '
                         f'{num_prefix_tokens} + {old_t}x{old_h}x{old_w} = '
                         f'{num_prefix_tokens + n_old}')
    if (old_t, old_h, old_w) == (new_t, new_h, new_w):
        return pos_embed
    prefix = pos_embed[:, :num_prefix_tokens]
    dtype = pos_embed.dtype
    x = pos_embed[:, num_prefix_tokens:].float()
    n, c = x.shape[0], x.shape[-1]
    x = x.reshape(n, old_t, old_h, old_w, c)
    if (old_h, old_w) != (new_h, new_w):
        x = x.reshape(n * old_t, old_h, old_w, c).permute(0, 3, 1, 2)  # (NT, C, H, W)
        x = F.interpolate(x, size=(new_h, new_w), mode=spatial_mode, align_corners=align_corners)
        x = x.permute(0, 2, 3, 1).reshape(n, old_t, new_h, new_w, c)
    if old_t != new_t:
        x = x.permute(0, 2, 3, 4, 1).reshape(n * new_h * new_w, c, old_t)  # (NHW, C, T)
        x = F.interpolate(x, size=new_t, mode=temporal_mode,
                          align_corners=align_corners if temporal_mode != 'nearest' else None)
        x = x.reshape(n, new_h, new_w, c, new_t).permute(0, 4, 1, 2, 3)
    x = x.reshape(n, new_t * new_h * new_w, c).to(dtype)
    if verbose:
        print_log(f'Resampled position embedding from {old_t}x{old_h}x{old_w} to '
                  f'{new_t}x{new_h}x{new_w} (spatial {spatial_mode}, temporal {temporal_mode}).',
                  logger='current')
    return torch.cat([prefix.to(dtype), x], dim=1)


def build_sinusoid_pos_embed(grid_thw: Sequence[int],
                             dim: int,
                             base_thw: Sequence[int] | None = None,
                             verbose: bool = False) -> torch.Tensor:
    """Sinusoid table for a token grid, ``(1, T*H*W, dim)``.

    With ``base_thw=None`` it is the plain table for ``T*H*W`` positions (VideoMAE / VideoMAE
    V2). With ``base_thw`` the table is built for that grid and resampled to ``grid_thw``
    (UMT fine-tuning: base (8, 14, 14), or (8, 16, 16) for patch 14).
    """
    grid_thw = tuple(int(v) for v in grid_thw)
    if base_thw is None:
        return get_sinusoid_encoding_table(int(np.prod(grid_thw)), dim)
    base_thw = tuple(int(v) for v in base_thw)
    table = get_sinusoid_encoding_table(int(np.prod(base_thw)), dim)
    return resample_pos_embed(table, base_thw, grid_thw, verbose=verbose)
