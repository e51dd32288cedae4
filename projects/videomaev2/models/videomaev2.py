"""VideoMAE V2 pre-training: dual masking, pixel decoder, normalised-pixel MSE."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import nn

from mmvideofm.models.algorithms import BaseVideoAlgorithm
from mmvideofm.models.layers import random_masking, running_cell_masking, tube_masking
from mmvideofm.models.losses.pixel_loss import IMAGENET_MEAN, IMAGENET_STD, normalized_pixel_target
from mmvideofm.models.utils import as_clip_batch, check_ratio
from mmvideofm.registry import MODELS

__all__ = ['VideoMAEv2']


@MODELS.register_module()
class VideoMAEv2(BaseVideoAlgorithm):
    """VideoMAE V2 masked video autoencoder with dual masking (`arXiv:2303.16727`_).

    ``loss()`` reads like the paper's figure 2:

    1. encoder mask: tube masking (90 %) -- the encoder sees only the visible 10 %;
    2. decoder mask: running-cell masking (50 %) -- the decoder reconstructs only the kept half;
    3. decoder input: visible tokens + mask tokens at the decoder-kept positions;
    4. loss: MSE on per-cube normalised pixels over tokens that are encoder-masked AND
       decoder-kept.

    Args:
        backbone: Encoder config, a :class:`VideoViT` with ``use_mean_pooling=False`` (its final
            ``norm`` is the encoder norm) and ``out_type='raw'``.
        decoder: :class:`VideoMAEv2Decoder` config.
        loss: Loss config (:class:`NormalizedPixelLoss`).
        mask_type: Encoder masking, ``'tube'`` (official) or ``'random'``.
        mask_ratio: Encoder mask ratio in (0, 1).
        decoder_mask_type: ``'run_cell'`` (official) or ``None`` (decode exactly the
            encoder-masked tokens, i.e. VideoMAE v1).
        decoder_mask_ratio: Running-cell ratio (0.5; 0.25 / 0.75 also valid).
        norm_pix: Per-cube normalised pixel target.
        target_mean / target_std: Normalisation of the input clip in [0, 1] units, undone to
            build the target (ImageNet, as the official loop and our data preprocessors).
        seed: Seed of this model's own ``torch.Generator`` for the masks (plus the
            distributed rank); ``None``: the runner's seed (``randomness.seed``) plus the rank.
        mask_seed: Former name of ``seed``.
        data_preprocessor: e.g. ``dict(type='ActionDataPreprocessor', ...)``.
    """

    def __init__(self,
                 backbone: dict,
                 decoder: dict,
                 loss: dict | None = None,
                 mask_type: Literal['tube', 'random'] = 'tube',
                 mask_ratio: float = 0.9,
                 decoder_mask_type: Literal['run_cell'] | None = 'run_cell',
                 decoder_mask_ratio: float = 0.5,
                 norm_pix: bool = True,
                 target_mean: Sequence[float] | None = IMAGENET_MEAN,
                 target_std: Sequence[float] | None = IMAGENET_STD,
                 seed: int | None = None,
                 mask_seed: int | None = None,
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         seed=seed if mask_seed is None else mask_seed, init_cfg=init_cfg)
        if mask_type not in ('tube', 'random'):
            raise ValueError(f"mask_type must be 'tube' or 'random', got {mask_type!r}")
        if decoder_mask_type not in ('run_cell', None):
            raise ValueError(f"decoder_mask_type must be 'run_cell' or None, got "
                             f'{decoder_mask_type!r}')
        self.mask_type = mask_type
        self.mask_ratio = check_ratio(mask_ratio, 'mask_ratio', low_inclusive=False)
        self.decoder_mask_type = decoder_mask_type
        self.decoder_mask_ratio = check_ratio(decoder_mask_ratio, 'decoder_mask_ratio')
        if decoder_mask_type == 'run_cell' and not 0 < int(4 * self.decoder_mask_ratio) < 4:
            raise ValueError(f'running-cell decoder masking needs decoder_mask_ratio in '
                             f'[0.25, 1), got {decoder_mask_ratio!r}')
        self.norm_pix = norm_pix
        self.target_mean = target_mean
        self.target_std = target_std

        self.backbone = MODELS.build(backbone)
        if getattr(self.backbone, 'use_mean_pooling', False):
            raise ValueError('the VideoMAE V2 encoder needs use_mean_pooling=False (its final '
                             'norm is applied to the visible tokens)')
        decoder = dict(decoder)
        decoder.setdefault('encoder_embed_dim', self.backbone.embed_dim)
        decoder.setdefault('patch_size', self.backbone.patch_size)
        decoder.setdefault('tubelet_size', self.backbone.tubelet_size)
        self.decoder = MODELS.build(decoder)
        if (self.decoder.patch_size, self.decoder.tubelet_size) != (
                self.backbone.patch_size, self.backbone.tubelet_size):
            raise ValueError('decoder patch/tubelet size must match the encoder\'s')
        self.loss_module: nn.Module = MODELS.build(loss or dict(type='NormalizedPixelLoss'))

    # ------------------------------------------------------------------ masks
    def generate_masks(self, batch_size: int, grid_thw: Sequence[int],
                       device: torch.device | str = 'cpu',
                       generator: torch.Generator | None = None
                       ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Encoder mask and decoder mask, bool ``(B, T'*H'*W')`` (True = masked / not decoded)."""
        device = torch.device(device)
        gen = generator if generator is not None else self.generator(device)
        if self.mask_type == 'tube':
            mask = tube_masking(batch_size, grid_thw, self.mask_ratio, gen, device)
        else:
            mask = random_masking(batch_size, int(torch.tensor(grid_thw).prod()),
                                  self.mask_ratio, gen, device)
        decode_mask = None
        if self.decoder_mask_type == 'run_cell' and self.decoder_mask_ratio > 0:
            decode_mask = running_cell_masking(batch_size, grid_thw, self.decoder_mask_ratio,
                                               gen, device)
        return mask, decode_mask

    # ------------------------------------------------------------------ model
    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Encoder tokens of the whole clip (no masking), ``(B, N, C)``."""
        return self.backbone.forward_features(as_clip_batch(inputs))

    def reconstruct(self, video: torch.Tensor, mask: torch.Tensor,
                    decode_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Predicted normalised pixels at the decoded positions, ``(B, N_dec, 3*tub*p*p)``."""
        x_vis = self.backbone.forward_features(video, mask)  # (B, N_vis, C_enc), visible only
        return self.decoder(x_vis, mask, decode_mask)

    def loss(self, inputs: torch.Tensor, data_samples: list | None = None,
             mask: torch.Tensor | None = None,
             decode_mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Masked-video reconstruction loss ``{'loss_pix': ...}``.

        ``mask`` / ``decode_mask`` may be given (e.g. from a fixture); otherwise they are drawn
        with :meth:`generate_masks`.
        """
        video = as_clip_batch(inputs)
        b = video.shape[0]
        grid = self.backbone.patch_embed.grid_for(*video.shape[2:])
        if mask is None:
            mask, decode_mask = self.generate_masks(b, grid, video.device)
        mask = mask.to(device=video.device, dtype=torch.bool).flatten(1)
        if decode_mask is not None:
            decode_mask = decode_mask.to(device=video.device, dtype=torch.bool).flatten(1)
        decoded = mask if decode_mask is None else ~decode_mask  # positions reconstructed

        pred = self.reconstruct(video, mask, decode_mask)  # (B, N_dec, D)
        target = normalized_pixel_target(
            video, self.backbone.patch_size, self.backbone.tubelet_size, self.norm_pix,
            self.target_mean, self.target_std)  # (B, N, D)
        target = target[decoded].reshape(b, -1, target.shape[-1])  # (B, N_dec, D)
        weight = mask[decoded].reshape(b, -1)  # encoder-masked AND decoder-kept
        return dict(loss_pix=self.loss_module(pred, target, weight))
