"""Harvest's video tower: a CLIP ViT run frame by frame plus a global temporal extractor.

The released model (InternVideo1 ``CoTrain``, ``clip_type='kc_new'``:
``clip_vit_only_global.VisionTransformer`` inside ``VideoIntern``) keeps every CLIP image
block frame-wise and adds, after each tapped block, a depthwise 3D conv position encoding
(``dpe``) and a cross-attention ``Extractor`` (``dec``) that updates one temporal [CLS]
token over all frames' tokens; the output mixes it with the frames' mean [CLS] through
``sigmoid(balance)``, then ``ln_post`` and ``proj`` (official ``visual_ln_post`` /
``visual_proj``). Parameter names are the official ones under ``clip.visual.``.

Patch dropping (the paper's efficiency trick): a ``(B*T, HW)`` mask (True = dropped, a fixed
count per frame) removes patch tokens *before* the blocks; the depthwise conv sees the kept
tokens at their grid positions (dropped ones as zeros). The released code draws the mask but
ignores it; :class:`Harvest` keeps that behaviour behind ``released=True``.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from mmengine.model import BaseModule
from open_clip.transformer import LayerNormFp32, QuickGELU, ResidualAttentionBlock
from torch import nn

from mmvideofm.registry import MODELS

__all__ = ['HarvestViT', 'Extractor']


class Extractor(nn.Module):
    """Temporal [CLS] update: ``x + attn(ln_1(x), ln_3(y))``, then ``+ mlp(ln_2(.))``."""

    def __init__(self, d_model: int, n_head: int, mlp_factor: float = 4.0,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_head, batch_first=True)
        self.ln_1 = nn.LayerNorm(d_model)
        d_mlp = round(mlp_factor * d_model)
        self.mlp = nn.Sequential(OrderedDict([
            ('c_fc', nn.Linear(d_model, d_mlp)), ('gelu', QuickGELU()),
            ('dropout', nn.Dropout(dropout)), ('c_proj', nn.Linear(d_mlp, d_model))]))
        self.ln_2 = nn.LayerNorm(d_model)
        self.ln_3 = nn.LayerNorm(d_model)
        # official zero init: the extractor starts as the identity on the [CLS] token
        nn.init.xavier_uniform_(self.attn.in_proj_weight)
        nn.init.zeros_(self.attn.out_proj.weight)
        nn.init.zeros_(self.attn.out_proj.bias)
        nn.init.xavier_uniform_(self.mlp.c_fc.weight)
        nn.init.zeros_(self.mlp.c_proj.weight)
        nn.init.zeros_(self.mlp.c_proj.bias)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``x`` ``(B, 1, C)`` queries, ``y`` ``(B, N, C)`` tokens."""
        y = self.ln_3(y)
        x = x + self.attn(self.ln_1(x), y, y, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class _Transformer(nn.Module):
    """Holds ``resblocks`` / ``dpe`` / ``dec`` / ``temporal_cls_token`` / ``balance`` under
    the official ``transformer.`` names."""

    def __init__(self, width: int, layers: int, heads: int, n_layers: int,
                 mlp_dropout: Sequence[float]) -> None:
        super().__init__()
        self.resblocks = nn.ModuleList([
            ResidualAttentionBlock(width, heads, act_layer=QuickGELU,
                                   norm_layer=LayerNormFp32, batch_first=True)
            for _ in range(layers)])
        if n_layers:
            self.temporal_cls_token = nn.Parameter(torch.zeros(1, 1, width))
            self.dpe = nn.ModuleList([nn.Conv3d(width, width, 3, 1, 1, groups=width)
                                      for _ in range(n_layers)])
            for conv in self.dpe:
                nn.init.zeros_(conv.bias)
            self.dec = nn.ModuleList([Extractor(width, heads, dropout=mlp_dropout[i])
                                      for i in range(n_layers)])
            self.balance = nn.Parameter(torch.zeros(width))


@MODELS.register_module()
class HarvestViT(BaseModule):
    """CLIP ViT + global temporal extractor (InternVideo-MM ``vit_only_global``).

    Args:
        arch: ``'b16'`` / ``'l14'`` presets (official ``vit_only_global_b16`` / ``_l14``)
            or None for the explicit sizes.
        input_resolution / patch_size / width / layers / heads / output_dim: CLIP sizes.
        return_list: Blocks after which the extractor runs (B/16: 8-11, L/14: 20-23);
            empty = a plain CLIP image tower (frames' mean [CLS]).
        mlp_dropout: Extractor MLP dropout per tapped block (official 0.5).
    """

    arch_zoo = {
        'b16': dict(patch_size=16, width=768, layers=12, heads=12, output_dim=512,
                    return_list=(8, 9, 10, 11)),
        'l14': dict(patch_size=14, width=1024, layers=24, heads=16, output_dim=768,
                    return_list=(20, 21, 22, 23)),
    }

    def __init__(self,
                 arch: str | None = 'b16',
                 input_resolution: int = 224,
                 patch_size: int = 16,
                 width: int = 768,
                 layers: int = 12,
                 heads: int = 12,
                 output_dim: int = 512,
                 return_list: Sequence[int] = (8, 9, 10, 11),
                 mlp_dropout: float | Sequence[float] = 0.5,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        preset = self.arch_zoo.get(arch) if arch is not None else {}
        if preset is None:
            raise KeyError(f'unknown HarvestViT arch {arch!r}; choose from '
                           f'{sorted(self.arch_zoo)} or arch=None with explicit sizes')
        patch_size, width, layers, heads, output_dim, return_list = (
            preset.get(k, v) for k, v in (('patch_size', patch_size), ('width', width),
                                          ('layers', layers), ('heads', heads),
                                          ('output_dim', output_dim),
                                          ('return_list', return_list)))
        if input_resolution % patch_size:
            raise ValueError(f'input_resolution {input_resolution} is not a multiple of '
                             f'patch_size {patch_size}')
        self.return_list = tuple(int(i) for i in return_list)
        if any(not 0 <= i < layers for i in self.return_list):
            raise ValueError(f'return_list {self.return_list} must index the {layers} blocks')
        if isinstance(mlp_dropout, (int, float)):
            mlp_dropout = [float(mlp_dropout)] * len(self.return_list)
        self.patch_size, self.width, self.output_dim = patch_size, width, output_dim
        self.grid_size = input_resolution // patch_size
        self.embed_dim = output_dim  # what the contrastive loss sees
        scale = width**-0.5
        self.conv1 = nn.Conv3d(3, width, (1, patch_size, patch_size),
                               (1, patch_size, patch_size), bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(self.grid_size**2 + 1,
                                                                     width))
        self.ln_pre = LayerNormFp32(width)
        self.transformer = _Transformer(width, layers, heads, len(self.return_list),
                                        mlp_dropout)
        self.ln_post = nn.LayerNorm(width)  # official VideoIntern.visual_ln_post
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))  # visual_proj

    def embed(self, video: torch.Tensor, drop_mask: torch.Tensor | None = None
              ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Frame tokens ``(B*T, 1 + K, C)`` after ``ln_pre``, and the kept patch indices
        ``(B*T, K)`` (ascending; None without dropping)."""
        x = self.conv1(video)  # (B, C, T, h, w)
        B, C, T, h, w = x.shape
        if h * w + 1 != self.positional_embedding.shape[0]:
            raise ValueError(f'{h}x{w} patches per frame, but the positional table has '
                             f'{self.positional_embedding.shape[0] - 1}: feed '
                             f'{self.grid_size * self.patch_size} px frames')
        x = x.permute(0, 2, 3, 4, 1).reshape(B * T, h * w, C)
        cls = self.class_embedding.to(x.dtype).expand(B * T, 1, C)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype)
        kept = None
        if drop_mask is not None:
            if drop_mask.shape != (B * T, h * w):
                raise ValueError(f'drop_mask must be (B*T, HW) = {(B * T, h * w)}, got '
                                 f'{tuple(drop_mask.shape)}')
            n_keep = set((~drop_mask).sum(1).tolist())
            if len(n_keep) != 1:
                raise ValueError('patch dropping needs the same number of kept patches in '
                                 f'every frame, got {sorted(n_keep)}')
            # ascending positions of the kept patches (stable sort keeps the order)
            kept = (drop_mask.int().argsort(dim=1, stable=True))[:, :n_keep.pop()]
            patches = x[:, 1:].gather(1, kept[..., None].expand(-1, -1, C))
            x = torch.cat([x[:, :1], patches], dim=1)
        return self.ln_pre(x), kept

    def _dpe(self, j: int, x: torch.Tensor, B: int, T: int,
             kept: torch.Tensor | None) -> torch.Tensor:
        """Depthwise 3D conv position encoding of the patch tokens ``(B*T, K, C)``."""
        C, g = x.shape[-1], self.grid_size
        if kept is None:
            grid = x
        else:  # kept tokens at their grid positions, dropped ones zero
            grid = x.new_zeros(B * T, g * g, C).scatter(1, kept[..., None].expand(-1, -1, C), x)
        grid = grid.view(B, T, g, g, C).permute(0, 4, 1, 2, 3)
        out = self.transformer.dpe[j](grid).permute(0, 2, 3, 4, 1).reshape(B * T, g * g, C)
        if kept is not None:
            out = out.gather(1, kept[..., None].expand(-1, -1, C))
        return out

    def forward_features(self, video: torch.Tensor, drop_mask: torch.Tensor | None = None
                         ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(feats (B, width), tokens (L, B, T, width))``: the pre-``ln_post`` video feature
        and the last block's tokens (official ``return_all_feats``; per-frame [CLS] first).

        Args:
            video: ``(B, 3, T, H, W)``; ``T = 1`` is the image path.
            drop_mask: Optional ``(B*T, HW)`` bool, True = patch dropped before the blocks.
        """
        if video.ndim != 5:
            raise ValueError(f'HarvestViT expects (B, 3, T, H, W), got {tuple(video.shape)}')
        B, T = video.shape[0], video.shape[2]
        x, kept = self.embed(video, drop_mask)
        tr = self.transformer
        cls = tr.temporal_cls_token.expand(B, 1, -1) if self.return_list else None
        j = 0
        for i, blk in enumerate(tr.resblocks):
            x = blk(x)  # frame-wise attention, (B*T, L, C)
            if i in self.return_list:
                L, C = x.shape[1:]
                tokens = torch.cat([x[:, :1], x[:, 1:] + self._dpe(j, x[:, 1:], B, T, kept)],
                                   dim=1)
                cls = tr.dec[j](cls, tokens.view(B, T * L, C))  # frame-major (t * L + l)
                j += 1
        L, C = x.shape[1:]
        x = x.view(B, T, L, C)
        residual = x[:, :, 0].mean(1)  # frames' mean [CLS]
        if self.return_list:
            weight = tr.balance.sigmoid()
            feats = (1 - weight) * cls[:, 0] + weight * residual
        else:
            feats = residual
        return feats, x.permute(2, 0, 1, 3)

    def project(self, feats: torch.Tensor) -> torch.Tensor:
        """``ln_post`` then ``proj``: the joint-space video feature (not normalised)."""
        return self.ln_post(feats) @ self.proj

    def forward(self, video: torch.Tensor, drop_mask: torch.Tensor | None = None
                ) -> torch.Tensor:
        """Projected video features ``(B, output_dim)``."""
        return self.project(self.forward_features(video, drop_mask)[0])
