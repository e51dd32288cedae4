"""Rasterise shapes and backgrounds for the synthetic world (numpy only)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=256)
def shape_mask(shape: str, size: int) -> np.ndarray:
    """Boolean ``(size, size)`` mask of ``shape`` filling its box."""
    c = (size - 1) / 2.0
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    if shape == 'square':
        mask = np.ones((size, size), bool)
    elif shape == 'circle':
        mask = (xx - c) ** 2 + (yy - c) ** 2 <= (size / 2.0) ** 2 - 0.25
    elif shape == 'triangle':  # apex up, base along the bottom row
        half = (yy + 1) / size * (size / 2.0)
        mask = np.abs(xx - c) <= half
    elif shape == 'cross':
        w = max(1, round(size / 3))
        lo = (size - w) // 2
        band = (xx >= lo) & (xx < lo + w)
        mask = band | band.T
    elif shape == 'diamond':
        mask = np.abs(xx - c) + np.abs(yy - c) <= size / 2.0
    else:
        raise ValueError(f'unknown shape {shape!r}')
    mask.setflags(write=False)
    return mask


def make_background(rng: np.random.Generator, height: int, width: int,
                    noise: int = 6) -> np.ndarray:
    """A dark, slightly tinted, static textured background ``(H, W, 3)`` uint8.

    Drawn independently of every label, so it carries no label information.
    """
    base = rng.integers(15, 80) + rng.integers(-10, 11, size=3)  # (3,)
    bg = np.broadcast_to(base, (height, width, 3)).astype(np.int16)
    if noise > 0:
        bg = bg + rng.integers(-noise, noise + 1, size=(height, width, 3), dtype=np.int16)
    return np.clip(bg, 0, 255).astype(np.uint8)


def render_frames(background: np.ndarray, num_frames: int,
                  sprites: list[tuple[str, int, np.ndarray, np.ndarray, np.ndarray]]
                  ) -> np.ndarray:
    """Paint sprites over the background.

    Args:
        background: ``(H, W, 3)`` uint8.
        num_frames: T.
        sprites: in drawing order, ``(shape, size, xy (T, 2) int top-left,
            visible (T,) bool, rgb (T, 3) uint8)``.

    Returns:
        ``(T, H, W, 3)`` uint8 frames.
    """
    frames = np.repeat(background[None], num_frames, axis=0)  # (T, H, W, 3)
    for shape, size, xy, visible, rgb in sprites:
        mask = shape_mask(shape, size)
        for t in np.flatnonzero(visible):
            x0, y0 = int(xy[t, 0]), int(xy[t, 1])
            frames[t, y0:y0 + size, x0:x0 + size][mask] = rgb[t]
    return frames
