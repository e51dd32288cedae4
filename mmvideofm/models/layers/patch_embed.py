"""Tubelet patch embedding: a Conv3d over (tubelet, p, p) cubes."""
from collections.abc import Sequence

import torch
from torch import nn


def _pair(x: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(x, int):
        return (x, x)
    x = tuple(int(v) for v in x)
    assert len(x) == 2, f'expected an int or a pair, got {x}'
    return x


class PatchEmbed(nn.Module):
    """Video to tubelet tokens, as in VideoMAE / UMT (``patch_embed.proj`` is the Conv3d).

    Input ``(B, C, T, H, W)`` -> tokens ``(B, T' * H' * W', D)`` in (t, h, w) raster order,
    ``T' = T // tubelet_size``, ``H' = H // p``, ``W' = W // p``.

    Args:
        img_size: Construction-time frame size (int or (H, W)); sets ``grid_size``.
        patch_size: Spatial patch size (int or (ph, pw)).
        in_channels: Input channels.
        embed_dim: Token width.
        num_frames: Construction-time number of frames.
        tubelet_size: Temporal patch size.
        bias: Whether the Conv3d has a bias (True in all official checkpoints).
    """

    def __init__(self,
                 img_size: int | Sequence[int] = 224,
                 patch_size: int | Sequence[int] = 16,
                 in_channels: int = 3,
                 embed_dim: int = 768,
                 num_frames: int = 16,
                 tubelet_size: int = 2,
                 bias: bool = True) -> None:
        super().__init__()
        self.img_size = _pair(img_size)
        self.patch_size = _pair(patch_size)
        self.tubelet_size = int(tubelet_size)
        self.num_frames = int(num_frames)
        self.grid_size = self.grid_for(self.num_frames, *self.img_size)
        self.num_patches = self.grid_size[0] * self.grid_size[1] * self.grid_size[2]
        kernel = (self.tubelet_size, *self.patch_size)
        self.proj = nn.Conv3d(in_channels, embed_dim, kernel_size=kernel, stride=kernel, bias=bias)

    def grid_for(self, num_frames: int, height: int, width: int) -> tuple[int, int, int]:
        """Token grid (T', H', W') for an input of the given size; raises if not divisible."""
        t, (ph, pw) = self.tubelet_size, self.patch_size
        if num_frames % t or height % ph or width % pw:
            raise ValueError(
                f'Input of {num_frames} frames x {height}x{width} px is not divisible into '
                f'tubelets of {t}x{ph}x{pw}.')
        return (num_frames // t, height // ph, width // pw)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 5:
            raise ValueError(f'PatchEmbed expects (B, C, T, H, W), got shape {tuple(x.shape)}')
        self.grid_for(*x.shape[2:])
        x = self.proj(x)  # (B, D, T', H', W')
        return x.flatten(2).transpose(1, 2)  # (B, T'*H'*W', D)
