"""Pixel reconstruction target and loss of masked video autoencoders (VideoMAE / VideoMAE V2).

The target is built from the *un-normalised* clip, cut into ``tubelet x p x p`` cubes in
(t, h, w) token order; with ``norm_pix`` every cube and channel is normalised over its
``tubelet * p * p`` pixels by ``(x - mean) / (std_unbiased + eps)`` and flattened channel-fastest,
as VideoMAE V2's ``engine_for_pretraining.py`` does. The loss is the per-token mean squared error
averaged over the tokens a weight mask selects (VideoMAE V2: encoder-masked AND decoder-kept).
"""
from collections.abc import Sequence

import torch
from torch import nn

from mmvideofm.constants import IMAGENET_MEAN, IMAGENET_STD  # re-exported (0..1 units)
from mmvideofm.registry import MODELS

__all__ = ['patchify_video', 'normalized_pixel_target', 'NormalizedPixelLoss', 'IMAGENET_MEAN',
           'IMAGENET_STD']


def patchify_video(video: torch.Tensor, patch_size: int | Sequence[int],
                   tubelet_size: int = 2) -> torch.Tensor:
    """``(B, C, T, H, W)`` -> ``(B, T'*H'*W', tubelet*ph*pw, C)`` cubes in (t, h, w) order."""
    ph, pw = (patch_size, patch_size) if isinstance(patch_size, int) else tuple(patch_size)
    b, c, t, h, w = video.shape
    if t % tubelet_size or h % ph or w % pw:
        raise ValueError(f'clip of {t}x{h}x{w} is not divisible into {tubelet_size}x{ph}x{pw} '
                         f'cubes')
    x = video.reshape(b, c, t // tubelet_size, tubelet_size, h // ph, ph, w // pw, pw)
    x = x.permute(0, 2, 4, 6, 3, 5, 7, 1)  # (B, T', H', W', tub, ph, pw, C)
    return x.reshape(b, -1, tubelet_size * ph * pw, c)


def normalized_pixel_target(video: torch.Tensor,
                            patch_size: int | Sequence[int],
                            tubelet_size: int = 2,
                            norm_pix: bool = True,
                            mean: Sequence[float] | None = IMAGENET_MEAN,
                            std: Sequence[float] | None = IMAGENET_STD,
                            eps: float = 1e-6) -> torch.Tensor:
    """Reconstruction target ``(B, N, tubelet*ph*pw*C)`` of a normalised clip.

    Args:
        video: ``(B, C, T, H, W)`` clip as the model sees it (normalised with ``mean``/``std``).
        mean / std: Statistics to undo first (``None``: use ``video`` as is). ImageNet values
            in [0, 1] units, as the official loop; the same values as mmaction2's
            ``ActionDataPreprocessor`` with mean/std in [0, 255] units.
        norm_pix: Normalise each cube and channel (unbiased std, ``eps`` added to the std).
    """
    with torch.no_grad():
        video = video.float()
        if mean is not None and std is not None:
            m = video.new_tensor(mean).view(1, -1, 1, 1, 1)
            s = video.new_tensor(std).view(1, -1, 1, 1, 1)
            video = video * s + m
        cubes = patchify_video(video, patch_size, tubelet_size)  # (B, N, P, C)
        if norm_pix:
            cubes = (cubes - cubes.mean(dim=-2, keepdim=True)) / (
                cubes.var(dim=-2, unbiased=True, keepdim=True).sqrt() + eps)
        return cubes.flatten(2)  # (B, N, P*C), channel fastest


@MODELS.register_module()
class NormalizedPixelLoss(nn.Module):
    """Per-token MSE averaged over the tokens selected by a weight mask.

    ``loss = sum_i w_i * mean_d (pred_id - target_id)^2 / sum_i w_i``.

    Args:
        loss_weight: Multiplier of the loss.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                weight: torch.Tensor | None = None) -> torch.Tensor:
        """``pred`` / ``target`` (B, N, D); ``weight`` (B, N) bool or float, None = all."""
        if pred.shape != target.shape:
            raise ValueError(f'pred {tuple(pred.shape)} and target {tuple(target.shape)} differ')
        per_token = (pred.float() - target.float()).pow(2).mean(dim=-1)  # (B, N)
        if weight is None:
            return self.loss_weight * per_token.mean()
        weight = weight.to(per_token.dtype)
        return self.loss_weight * (per_token * weight).sum() / weight.sum().clamp(min=1.0)
