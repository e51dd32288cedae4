"""VideoChat-Embed's vision encoder: the EVA-CLIP ViT-g/14 of BLIP-2 with UniFormerV2 Global
MHRA modules on its last blocks (official ``video_chat/models/eva_vit.py``).

Every frame is its own sequence (per-frame CLS, one learned 2-D ``pos_embed``, purely spatial
attention); the only cross-frame path is GMHRA: a learnable video token that, after each of
the last ``gmhra_layers`` blocks, cross-attends to all tokens of all frames (plus a depthwise
Conv3d position encoding of the patch tokens). Parameter names are the official ones
(``patch_embed.proj``, ``blocks.i.*``, ``gmhra.j.{dpe, attn, ln_1, ln_2, ln_3, mlp.c_fc,
mlp.c_proj}``, ``cls_token``, ``pos_embed``, ``gmhra_cls_token``).
"""
from __future__ import annotations

import math
from collections import OrderedDict

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from torch import nn

from mmvideofm.models.layers import Block, DropPath, PatchEmbed, resample_pos_embed
from mmvideofm.registry import MODELS

__all__ = ['GlobalMHRA', 'VideoChatEVAViT']


class GlobalMHRA(nn.Module):
    """UniFormerV2 ``Global_MHRA``: the video token ``(1, B, C)`` attends to ``ln_3(tokens)``
    (+ depthwise Conv3d position encoding ``dpe`` on the patch tokens), then an MLP.

    ``ln_1/2/3`` keep nn.LayerNorm's default eps (1e-5); the MLP hidden width is
    ``round(C * mlp_ratio)`` (the blocks use ``int``), with dropout 0.5 after the GELU.
    ``zero_init``: ``attn.out_proj`` and ``mlp.c_proj`` start at zero (official init).
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0,
                 drop_path: float = 0.0, dropout: float = 0.5, zero_init: bool = True) -> None:
        super().__init__()
        self.dpe = nn.Conv3d(dim, dim, 3, 1, 1, bias=True, groups=dim)
        self.attn = nn.MultiheadAttention(dim, num_heads)
        self.ln_1 = nn.LayerNorm(dim)
        hidden = round(mlp_ratio * dim)
        self.mlp = nn.Sequential(OrderedDict([
            ('c_fc', nn.Linear(dim, hidden)), ('gelu', nn.GELU()),
            ('dropout', nn.Dropout(dropout)), ('c_proj', nn.Linear(hidden, dim))]))
        self.ln_2 = nn.LayerNorm(dim)
        self.ln_3 = nn.LayerNorm(dim)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        if zero_init:
            for layer in (self.attn.out_proj, self.mlp.c_proj):
                nn.init.zeros_(layer.weight)
                nn.init.zeros_(layer.bias)

    def forward(self, token: torch.Tensor, tokens: torch.Tensor, num_frames: int,
                grid: tuple[int, int]) -> torch.Tensor:
        """``token`` (1, B, C); ``tokens`` (B*T, 1+h*w, C) block output -> new ``token``."""
        bt, n, c = tokens.shape
        b, (h, w) = bt // num_frames, grid
        y = self.ln_3(tokens).view(b, num_frames, n, c)
        patches = y[:, :, 1:].reshape(b, num_frames, h, w, c).permute(0, 4, 1, 2, 3)
        pos = self.dpe(patches).permute(0, 2, 3, 4, 1).reshape(b, num_frames, h * w, c)
        y = torch.cat([y[:, :, :1], y[:, :, 1:] + pos], dim=2)
        y = y.reshape(b, num_frames * n, c).transpose(0, 1)  # (T*(1+hw), B, C), time-major
        q = self.ln_1(token)
        token = token + self.drop_path(self.attn(q, y, y, need_weights=False)[0])
        return token + self.drop_path(self.mlp(self.ln_2(token)))


@MODELS.register_module()
class VideoChatEVAViT(BaseModule):
    """EVA ViT-g/14 + Global MHRA (VideoChat, https://arxiv.org/abs/2305.06355).

    ``forward(x)``: ``x`` (B, C, T, H, W) with ``H == W == img_size`` -> tokens
    ``(B, T*(1+h*w)+1, C)``: frame-major ``[CLS, patches]`` per frame, the video token last;
    no final norm (the LLM wrapper applies ``ln_vision``).

    Args:
        img_size: Frame size (official 224; other sizes raise, as the official assert).
        patch_size / embed_dim / depth / num_heads / mlp_ratio: EVA-g: 14 / 1408 / 39 / 16 /
            4.3637 (block MLP hidden ``int(C * mlp_ratio)``).
        gmhra_layers: GMHRA modules on the last blocks (official 8); module ``j`` runs after
            block ``depth - gmhra_layers + j`` (ascending, whatever order the official
            ``gmhra_layer_idx`` lists).
        gmhra_dropout / gmhra_drop_path_rate: Official 0.5 / 0.
        drop_path_rate: Stochastic depth of the blocks (linear rule).
        norm_eps: Block LayerNorm eps (1e-6).
        with_cp: Activation checkpointing of the blocks while training.
        init_cfg: MMEngine init config.

    Loading a 2-D EVA checkpoint (``eva_vit_g.pth``): a ``pos_embed`` of another square grid
    is resized bicubically (CLS row kept) and a 4-D patch weight gets a time axis (centre),
    as the official ``interpolate_pos_embed`` + ``load_state_dict``.
    """

    def __init__(self, img_size: int = 224, patch_size: int = 14, embed_dim: int = 1408,
                 depth: int = 39, num_heads: int = 16, mlp_ratio: float = 4.3637,
                 gmhra_layers: int = 8, gmhra_dropout: float = 0.5,
                 gmhra_drop_path_rate: float = 0.0, drop_path_rate: float = 0.0,
                 norm_eps: float = 1e-6, with_cp: bool = False,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 < gmhra_layers <= depth:
            raise ValueError(f'gmhra_layers must be in 1..depth ({depth}), got {gmhra_layers} '
                             '(the official forward needs the video token)')
        self.img_size, self.patch_size = int(img_size), int(patch_size)
        self.embed_dim = self.num_features = int(embed_dim)
        self.depth, self.num_heads, self.with_cp = depth, num_heads, with_cp
        self.patch_embed = PatchEmbed(img_size=img_size, patch_size=patch_size,
                                      embed_dim=embed_dim, num_frames=1, tubelet_size=1)
        self.grid = self.patch_embed.grid_size[1:]
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + math.prod(self.grid), embed_dim))
        dpr = [drop_path_rate * i / max(depth - 1, 1) for i in range(depth)]
        self.blocks = nn.ModuleList([
            Block(embed_dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=True, drop_path=dpr[i],
                  norm_layer=lambda d: nn.LayerNorm(d, eps=norm_eps)) for i in range(depth)])
        self.gmhra_blocks = list(range(depth - gmhra_layers, depth))
        gdpr = [gmhra_drop_path_rate * i / max(gmhra_layers - 1, 1)
                for i in range(gmhra_layers)]
        self.gmhra_cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.gmhra = nn.ModuleList([
            GlobalMHRA(embed_dim, num_heads, mlp_ratio, gdpr[j], gmhra_dropout)
            for j in range(gmhra_layers)])
        self._init_vit()
        self._register_load_state_dict_pre_hook(self._from_2d_checkpoint)

    @torch.no_grad()
    def _init_vit(self) -> None:
        """Official EVA init: trunc-normal(.02) tokens and Linear weights, zero biases, unit
        LayerNorms, ``attn.proj`` / ``mlp.fc2`` divided by sqrt(2 * layer)."""
        trunc_normal_(self.pos_embed, std=.02)
        trunc_normal_(self.cls_token, std=.02)
        for i, blk in enumerate(self.blocks, 1):
            for m in blk.modules():
                if isinstance(m, nn.Linear):
                    trunc_normal_(m.weight, std=.02)
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
            blk.attn.proj.weight.div_(math.sqrt(2.0 * i))
            blk.mlp.fc2.weight.div_(math.sqrt(2.0 * i))

    def _from_2d_checkpoint(self, state: dict, prefix: str, *args, **kwargs) -> None:
        key = prefix + 'pos_embed'
        if key in state and state[key].shape[1] != self.pos_embed.shape[1]:
            old = math.isqrt(state[key].shape[1] - 1)
            print_log(f'{key}: EVA grid {old}x{old} -> {self.grid[0]}x{self.grid[1]}',
                      logger='current')
            state[key] = resample_pos_embed(state[key], (1, old, old), (1, *self.grid),
                                            num_prefix_tokens=1, verbose=False)
        key = prefix + 'patch_embed.proj.weight'
        if key in state and state[key].ndim == 4:
            state[key] = state[key].unsqueeze(2)  # kernel time 1: the centre slice

    def _run_block(self, blk: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if self.with_cp and torch.is_grad_enabled():
            return torch.utils.checkpoint.checkpoint(blk, x, use_reentrant=False)
        return blk(x)

    def forward(self, x: torch.Tensor, return_intermediates: bool = False
                ) -> torch.Tensor | tuple[torch.Tensor, dict[str, list[torch.Tensor]]]:
        """(B, C, T, H, W) -> (B, T*(1+h*w)+1, C); with ``return_intermediates`` also the
        block outputs and the video token after each GMHRA."""
        if x.ndim != 5:
            raise ValueError(f'VideoChatEVAViT takes (B, C, T, H, W), got {tuple(x.shape)}')
        b, _, t, h, w = x.shape
        if (h, w) != (self.img_size, self.img_size):
            raise ValueError(f'VideoChatEVAViT was built for {self.img_size}x{self.img_size} '
                             f'frames, got {h}x{w}: resize the frames (or set img_size)')
        x = self.patch_embed.proj(x)  # (B, C, T, h, w)
        x = x.permute(0, 2, 3, 4, 1).reshape(b * t, -1, self.embed_dim)
        x = torch.cat([self.cls_token.expand(b * t, -1, -1), x], dim=1) + self.pos_embed
        token = self.gmhra_cls_token.expand(1, b, -1)
        blocks, tokens, j = [], [], 0
        for i, blk in enumerate(self.blocks):
            x = self._run_block(blk, x)
            blocks.append(x)
            if i in self.gmhra_blocks:
                token = self.gmhra[j](token, x, t, self.grid)
                tokens.append(token)
                j += 1
        out = torch.cat([x.reshape(b, -1, self.embed_dim), token.transpose(0, 1)], dim=1)
        if return_intermediates:
            return out, dict(blocks=blocks, gmhra=tokens)
        return out
