"""OpenAI CLIP visual towers: frame by frame (the UMT teacher) and joint space-time (ViCLIP).

Built from open_clip's ``ResidualAttentionBlock`` (OpenAI parameter names: ``conv1``,
``class_embedding``, ``positional_embedding``, ``ln_pre``,
``transformer.resblocks.i.{ln_1,attn.in_proj_weight,attn.out_proj,ln_2,mlp.c_fc,mlp.c_proj}``,
``ln_post``, ``proj``), so a CLIP ViT-B/16 or ViT-L/14 visual state dict loads with
``strict=True``. UMT (https://arxiv.org/abs/2303.16058) reads two things from it: the
L2-normalised projected patch tokens of the last ``return_layers`` blocks (the alignment
targets) and the last block's head-averaged [CLS]->patch attention (for semantic masking).

:class:`CLIPVideoViT` is the same tower run on a whole clip (ViCLIP, InternVid
https://arxiv.org/abs/2307.06942): a Conv3d patch embedding of temporal kernel 1, a
zero-initialised ``temporal_positional_embedding`` added to the patch tokens, joint attention
over ``1 + N*T`` tokens and optional token dropping before the blocks (Harvest reuses it).
"""
from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from open_clip.transformer import LayerNormFp32, QuickGELU, ResidualAttentionBlock
from timm.layers import DropPath
from torch import nn
from torch.utils.checkpoint import checkpoint

from mmvideofm.models.layers import resample_pos_embed
from mmvideofm.registry import MODELS

__all__ = ['CLIPVisual', 'CLIPVideoViT']


class DropPathBlock(ResidualAttentionBlock):
    """open_clip's ``ResidualAttentionBlock`` (OpenAI keys) with stochastic depth on both
    residual branches (ViCLIP's ``drop_path1`` / ``drop_path2``).

    Inputs are batch-first either way; ``seq_first_attention`` runs the attention
    sequence-first, as OpenAI CLIP and ViCLIP do: torch then takes its standard (SDPA) path,
    which on CPU is about 25 % faster than the batch-first inference fast path at 1.5k tokens.
    """

    def __init__(self, width: int, heads: int, mlp_ratio: float = 4.0,
                 drop_path: float = 0., seq_first_attention: bool = False) -> None:
        super().__init__(width, heads, mlp_ratio=mlp_ratio, act_layer=QuickGELU,
                         norm_layer=LayerNormFp32, batch_first=not seq_first_attention)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def attention(self, q_x: torch.Tensor, k_x: torch.Tensor | None = None,
                  v_x: torch.Tensor | None = None,
                  attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        if self.attn.batch_first:
            return super().attention(q_x, k_x, v_x, attn_mask)
        seq_first = [None if t is None else t.transpose(0, 1) for t in (q_x, k_x, v_x)]
        return super().attention(*seq_first, attn_mask=attn_mask).transpose(0, 1)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.drop_path(self.ls_1(self.attention(self.ln_1(x), attn_mask=attn_mask)))
        return x + self.drop_path(self.ls_2(self.mlp(self.ln_2(x))))


class _Transformer(nn.Module):
    """Container so the blocks are named ``transformer.resblocks.i`` as in OpenAI CLIP.

    ``drop_path`` rises linearly from 0 over the blocks; the first ``checkpoint_num`` blocks
    use activation checkpointing while training (ViCLIP's ``checkpoint_num``).
    """

    def __init__(self, width: int, layers: int, heads: int, mlp_ratio: float = 4.0,
                 drop_path: float = 0., checkpoint_num: int = 0,
                 seq_first_attention: bool = False) -> None:
        super().__init__()
        rates = [drop_path * i / max(layers - 1, 1) for i in range(layers)]
        self.resblocks = nn.ModuleList([
            DropPathBlock(width, heads, mlp_ratio=mlp_ratio, drop_path=rate,
                          seq_first_attention=seq_first_attention) for rate in rates])
        self.checkpoint_num = checkpoint_num

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for idx, blk in enumerate(self.resblocks):
            if idx < self.checkpoint_num and self.training and torch.is_grad_enabled():
                x = checkpoint(blk, x, use_reentrant=False)
            else:
                x = blk(x)
        return x


def _preset_sizes(tower: nn.Module, arch: str | None, *sizes: int | None) -> tuple:
    """``(patch_size, width, layers, heads, output_dim)``: the ``arch`` preset of the tower's
    ``arch_zoo``, or the explicit ``sizes`` for ``arch=None``."""
    if arch is None:
        return sizes
    if arch not in tower.arch_zoo:
        raise KeyError(f'unknown {type(tower).__name__} arch {arch!r}; choose from '
                       f'{sorted(tower.arch_zoo)} or arch=None with explicit sizes')
    preset = tower.arch_zoo[arch]
    return tuple(preset[k] for k in ('patch_size', 'width', 'layers', 'heads', 'output_dim'))


def _resample_positional_embedding(tower: nn.Module, state_dict: dict, key: str) -> None:
    """Resample a checkpoint's ``(1 + G*G, C)`` table bicubically to the tower's grid (as UMT's
    and ViCLIP's loaders do), e.g. CLIP L/14 at 224 px (16x16) used at 196 px (14x14)."""
    if key not in state_dict:
        return
    pos = state_dict[key]
    n_ckpt = pos.shape[0] - 1
    old = int(round(math.sqrt(n_ckpt)))
    if old * old != n_ckpt:
        raise ValueError(f'{key} has {n_ckpt} patch positions, not a square grid')
    if old != tower.grid_size:
        print_log(f'{type(tower).__name__}: resampling positional_embedding from {old}x{old} '
                  f'to {tower.grid_size}x{tower.grid_size} (input_resolution '
                  f'{tower.input_resolution}).', logger='current', level=30)
        state_dict[key] = resample_pos_embed(  # a 1xGxG grid + cls
            pos[None], (1, old, old), (1, tower.grid_size, tower.grid_size),
            num_prefix_tokens=1, verbose=False)[0]


@MODELS.register_module()
class CLIPVisual(BaseModule):
    """CLIP visual tower as a frame-wise video teacher (UMT's ``clip_b16`` / ``clip_l14``).

    Args:
        arch: A preset name (``'b16'``, ``'l14'``) or None to use the explicit sizes.
        input_resolution: Frame size the positional table is built for (UMT-L: 196).
        patch_size / width / layers / heads / output_dim: Tower sizes (OpenAI names).
        return_layers: Number K of last blocks whose tokens are returned
            (``clip_return_layer``).
        return_interval: Stride between returned blocks (``clip_return_interval``).
        norm_type: ``'l2'`` normalises the projected tokens, ``'none'`` keeps them.
        return_attn: Also return the last block's head-averaged [CLS]->patch attention.
        frozen: Keep the tower in eval mode with ``requires_grad=False`` (teacher use).
    """

    arch_zoo = {
        'b16': dict(patch_size=16, width=768, layers=12, heads=12, output_dim=512),
        'l14': dict(patch_size=14, width=1024, layers=24, heads=16, output_dim=768),
    }

    def __init__(self,
                 arch: str | None = 'b16',
                 input_resolution: int = 224,
                 patch_size: int = 16,
                 width: int = 768,
                 layers: int = 12,
                 heads: int = 12,
                 output_dim: int = 512,
                 return_layers: int = 6,
                 return_interval: int = 1,
                 norm_type: Literal['l2', 'none'] = 'l2',
                 return_attn: bool = True,
                 frozen: bool = True,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        patch_size, width, layers, heads, output_dim = _preset_sizes(
            self, arch, patch_size, width, layers, heads, output_dim)
        assert norm_type in ('l2', 'none'), f'norm_type must be l2|none, got {norm_type!r}'
        if not 1 <= return_layers <= layers:
            raise ValueError(f'return_layers must be in [1, {layers}], got {return_layers}')
        if input_resolution % patch_size:
            raise ValueError(f'input_resolution {input_resolution} is not a multiple of '
                             f'patch_size {patch_size}')
        self.input_resolution = input_resolution
        self.patch_size = patch_size
        self.grid_size = input_resolution // patch_size
        self.width = width
        self.layers = layers
        self.output_dim = output_dim
        self.norm_type = norm_type
        self.return_attn = return_attn
        self.frozen = frozen
        # ascending block indices of the returned layers, e.g. [6, ..., 11] for B/16
        self.return_index = sorted(layers - 1 - i * return_interval for i in range(return_layers))
        if self.return_index[0] < 0:
            raise ValueError('return_layers * return_interval exceeds the depth')

        scale = width**-0.5
        self.conv1 = nn.Conv2d(3, width, patch_size, patch_size, bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(self.grid_size**2 + 1, width))
        self.ln_pre = LayerNormFp32(width)
        self.transformer = _Transformer(width, layers, heads)
        self.ln_post = LayerNormFp32(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))
        self._register_load_state_dict_pre_hook(self._prepare_checkpoint)
        if frozen:
            self._freeze()

    # ------------------------------------------------------------------ weights
    def _freeze(self) -> None:
        self.eval()
        for p in self.parameters():
            p.requires_grad = False

    def train(self, mode: bool = True) -> CLIPVisual:
        """A frozen teacher stays in eval mode."""
        return super().train(False if self.frozen else mode)

    def _prepare_checkpoint(self, state_dict, prefix, *args, **kwargs) -> None:
        """Accept UMT's Conv3d ``conv1`` (temporal kernel 1) and other grids.

        The positional table is resampled bicubically (as UMT's ``clip.load_state_dict``
        does) when the checkpoint was trained at another resolution, e.g. CLIP L/14 at 224
        px (16x16) used at 196 px (14x14).
        """
        key = prefix + 'conv1.weight'
        if key in state_dict and state_dict[key].ndim == 5:
            w = state_dict[key]
            if w.shape[2] != 1:
                raise ValueError(f'{key} has temporal kernel {w.shape[2]}; CLIPVisual runs '
                                 f'frames independently and needs kernel 1')
            state_dict[key] = w[:, :, 0]
        _resample_positional_embedding(self, state_dict, prefix + 'positional_embedding')

    # ------------------------------------------------------------------ forward
    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        """CLIP's image embedding of ``(N, 3, H, W)`` images: ``ln_post([CLS]) @ proj``,
        L2-normalised for ``norm_type='l2'``, ``(N, output_dim)``."""
        if (images.shape[-2], images.shape[-1]) != (self.input_resolution, ) * 2:
            images = F.interpolate(images, size=(self.input_resolution, ) * 2, mode='bicubic',
                                   align_corners=False)
        tokens = self.conv1(images).flatten(2).transpose(1, 2)
        cls = self.class_embedding.to(tokens.dtype).expand(tokens.shape[0], 1, -1)
        tokens = self.ln_pre(torch.cat([cls, tokens], dim=1) +
                             self.positional_embedding.to(tokens.dtype))
        for blk in self.transformer.resblocks:
            tokens = blk(tokens)
        emb = self.ln_post(tokens[:, 0]) @ self.proj
        return emb / emb.norm(dim=-1, keepdim=True) if self.norm_type == 'l2' else emb

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Encode a video frame by frame.

        Args:
            x: ``(B, 3, T, H, W)``; frames are resized bicubically to ``input_resolution``
                when ``H, W`` differ (UMT-L teaches at 196 px).
        Returns:
            ``feats`` ``(K, B, T*HW, output_dim)`` in (t, hw) token order, L2-normalised for
            ``norm_type='l2'``; ``attn`` ``(B*T, HW)`` (last block, heads averaged, [CLS]
            row, patch columns) or None when ``return_attn=False``.
        """
        if x.ndim != 5:
            raise ValueError(f'CLIPVisual expects (B, C, T, H, W), got {tuple(x.shape)}')
        B, C, T, H, W = x.shape
        frames = x.transpose(1, 2).reshape(B * T, C, H, W)
        if (H, W) != (self.input_resolution, self.input_resolution):
            frames = F.interpolate(frames, size=(self.input_resolution, ) * 2, mode='bicubic',
                                   align_corners=False)
        tokens = self.conv1(frames).flatten(2).transpose(1, 2)  # (BT, HW, width)
        hw = tokens.shape[1]
        cls = self.class_embedding.to(tokens.dtype).expand(tokens.shape[0], 1, -1)
        tokens = torch.cat([cls, tokens], dim=1) + self.positional_embedding.to(tokens.dtype)
        tokens = self.ln_pre(tokens)

        outs, attn = [], None
        last = self.layers - 1
        for idx, blk in enumerate(self.transformer.resblocks):
            if idx == last and self.return_attn:
                y = blk.ln_1(tokens)
                y, attn = blk.attn(y, y, y, need_weights=True, average_attn_weights=True)
                tokens = tokens + blk.ls_1(y)
                tokens = tokens + blk.ls_2(blk.mlp(blk.ln_2(tokens)))
                attn = attn[:, 0, 1:]  # (BT, HW)
            else:
                tokens = blk(tokens)
            if idx in self.return_index:
                outs.append(tokens[:, 1:])
        feats = self.ln_post(torch.stack(outs))  # (K, BT, HW, width)
        K = feats.shape[0]
        feats = feats.reshape(K, B, T * hw, self.width) @ self.proj
        if self.norm_type == 'l2':
            feats = feats / feats.norm(dim=-1, keepdim=True)
        return feats, attn



@MODELS.register_module()
class CLIPVideoViT(BaseModule):
    """CLIP ViT with joint space-time attention: ViCLIP's ``vision_encoder``.

    Keys are the official ones (``conv1`` as a Conv3d of kernel ``(1, p, p)``,
    ``class_embedding``, ``positional_embedding``, ``temporal_positional_embedding``,
    ``ln_pre``, ``transformer.resblocks.i.*``, ``ln_post``, ``proj``). Tokens are ordered
    spatial-major, frame-minor (``b (n t) c``) as the official rearrange; the [CLS] token
    gets no temporal embedding; a single image (``T == 1``) gets the mean temporal embedding.

    Args:
        arch: ``'b16'`` / ``'l14'`` (ViCLIP-B / L) or None for the explicit sizes.
        input_resolution / patch_size / width / layers / heads / output_dim: Sizes.
        num_frames: Rows of the temporal embedding (inputs must have this many frames or 1).
        drop_path_rate: Stochastic depth of the last block (0 -> rate, linear; ViCLIP 0.1).
        checkpoint_num: Blocks run with activation checkpointing in training (ViCLIP 24).
        temporal_embedding: Build ``temporal_positional_embedding`` (official ``temp_embed``).
        temporal_init_std: Its initial std: 0 (official) starts as the image model; a tower
            trained from scratch needs > 0, or it cannot tell the frames apart at first.
        init_cfg: mmengine init config.
    """

    arch_zoo = CLIPVisual.arch_zoo

    def __init__(self,
                 arch: str | None = 'l14',
                 input_resolution: int = 224,
                 patch_size: int = 14,
                 width: int = 1024,
                 layers: int = 24,
                 heads: int = 16,
                 output_dim: int | None = 768,
                 num_frames: int = 8,
                 drop_path_rate: float = 0.,
                 checkpoint_num: int = 0,
                 temporal_embedding: bool = True,
                 temporal_init_std: float = 0.,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        patch_size, width, layers, heads, output_dim = _preset_sizes(
            self, arch, patch_size, width, layers, heads, output_dim)
        if input_resolution % patch_size:
            raise ValueError(f'input_resolution {input_resolution} is not a multiple of '
                             f'patch_size {patch_size}')
        self.input_resolution = input_resolution
        self.patch_size = patch_size
        self.grid_size = input_resolution // patch_size
        self.width = self.embed_dim = width
        self.num_frames = num_frames
        self.output_dim = output_dim
        scale = width**-0.5
        self.conv1 = nn.Conv3d(3, width, (1, patch_size, patch_size),
                               (1, patch_size, patch_size), bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(self.grid_size**2 + 1, width))
        if temporal_embedding:  # zero init: a CLIP image model is unchanged at the start
            self.temporal_positional_embedding = nn.Parameter(
                temporal_init_std * torch.randn(1, num_frames, width))
        else:
            self.temporal_positional_embedding = None
        self.ln_pre = LayerNormFp32(width)
        self.transformer = _Transformer(width, layers, heads, drop_path=drop_path_rate,
                                        checkpoint_num=checkpoint_num, seq_first_attention=True)
        self.ln_post = LayerNormFp32(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim)) if output_dim else None
        self._register_load_state_dict_pre_hook(self._prepare_checkpoint)

    def no_weight_decay(self) -> set[str]:
        """Parameters the official optimizer keeps out of weight decay."""
        return {'positional_embedding', 'class_embedding', 'temporal_positional_embedding'}

    def _prepare_checkpoint(self, state_dict, prefix, *args, **kwargs) -> None:
        """Accept OpenAI CLIP image weights and other grids / frame counts.

        A 2-D ``conv1`` (CLIP image model) gets a temporal axis of 1; ``positional_embedding``
        is resampled bicubically to this grid; ``temporal_positional_embedding`` is cut when
        shrinking and linearly interpolated when growing (the official
        ``load_temp_embed_with_mismatch(add_zero=False)``), or created as zeros when absent.
        """
        key = prefix + 'conv1.weight'
        if key in state_dict and state_dict[key].ndim == 4:
            state_dict[key] = state_dict[key].unsqueeze(2)
        _resample_positional_embedding(self, state_dict, prefix + 'positional_embedding')
        key = prefix + 'temporal_positional_embedding'
        if self.temporal_positional_embedding is None:
            return
        if key not in state_dict:
            if prefix + 'class_embedding' in state_dict:  # an image CLIP: start at zero
                state_dict[key] = torch.zeros_like(self.temporal_positional_embedding)
            return
        old_t = state_dict[key].shape[1]
        if old_t > self.num_frames:
            state_dict[key] = state_dict[key][:, :self.num_frames]
        elif old_t < self.num_frames:
            state_dict[key] = F.interpolate(state_dict[key].transpose(1, 2).float(),
                                            size=self.num_frames, mode='linear',
                                            align_corners=False).transpose(1, 2)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Patch tokens with spatial and temporal position: ``(B, N*T, width)`` in the
        official ``(n t)`` order (no [CLS])."""
        if x.ndim == 4:  # an image: T = 1
            x = x.unsqueeze(2)
        if x.ndim != 5:
            raise ValueError(f'CLIPVideoViT expects (B, C, T, H, W) or (B, C, H, W), got '
                             f'{tuple(x.shape)}')
        T = x.shape[2]
        if self.temporal_positional_embedding is not None and T not in (1, self.num_frames):
            raise ValueError(f'CLIPVideoViT was built for num_frames={self.num_frames} (or 1 '
                             f'for images), got {T} frames; set num_frames={T} (checkpoints '
                             'resample the temporal embedding on load)')
        x = self.conv1(x)  # (B, W, T, h, w)
        B, C = x.shape[:2]
        x = x.flatten(3).permute(0, 3, 2, 1)  # (B, N, T, W)
        x = x + self.positional_embedding[1:].to(x.dtype)[None, :, None]
        if self.temporal_positional_embedding is not None:
            temporal = self.temporal_positional_embedding.to(x.dtype)
            x = x + (temporal.mean(1) if T == 1 else temporal[0])[None]
        return x.reshape(B, -1, C)

    def forward_features(self, x: torch.Tensor, mask: torch.Tensor | None = None
                         ) -> torch.Tensor:
        """Tokens after ``ln_post`` ``(B, 1 + N_kept, width)``, [CLS] first.

        Args:
            x: ``(B, 3, T, H, W)`` clips or ``(B, 3, H, W)`` images.
            mask: Optional bool ``(B, N*T)`` in the ``(n t)`` token order, True = dropped
                before the blocks; every sample must drop the same number.
        """
        tokens = self.embed(x)
        B, L, C = tokens.shape
        if mask is not None:
            if mask.shape != (B, L):
                raise ValueError(f'mask must be (B, N*T) = {(B, L)}, got {tuple(mask.shape)}')
            tokens = tokens[~mask].reshape(B, -1, C)
        cls = (self.class_embedding + self.positional_embedding[0]).to(tokens.dtype)
        tokens = torch.cat([cls.expand(B, 1, C), tokens], dim=1)
        tokens = self.transformer(self.ln_pre(tokens))
        return self.ln_post(tokens)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Clip embedding ``ln_post([CLS]) @ proj`` ``(B, output_dim)``, not normalised."""
        cls = self.forward_features(x, mask)[:, 0]
        return cls @ self.proj if self.proj is not None else cls
