"""SEINE's UNet: Stable Diffusion 1.4's UNet inflated to video (per-frame convolutions and
spatial attention) with a temporal attention in every transformer block and a 9-channel input
``[x_t (4), mask (1), masked-video latent (4)]``. Parameter names are the official ones
(``models/unet.py::UNet3DConditionModel`` of Vchitect/SEINE)."""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers.models.attention import FeedForward
from diffusers.models.attention_processor import Attention, AttnProcessor2_0
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from diffusers.utils import BaseOutput
from torch import nn
from torch.utils.checkpoint import checkpoint

from mmvideofm.registry import MODELS

from .temporal_attention import RotaryEmbedding, TemporalAttention

__all__ = ['SEINEUNet', 'SEINEUNetOutput', 'sd_unet_config_to_seine']


def _per_frame(fn, x: torch.Tensor) -> torch.Tensor:
    """Apply a 4-D op to every frame of (B, C, F, H, W) (the official ``InflatedConv3d``)."""
    b, f = x.shape[0], x.shape[2]
    y = fn(x.transpose(1, 2).flatten(0, 1))  # (B*F, C, H, W)
    return y.unflatten(0, (b, f)).transpose(1, 2)


class InflatedConv3d(nn.Conv2d):
    """A 2-D convolution run frame by frame on (B, C, F, H, W)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _per_frame(super().forward, x)


class ResnetBlock3D(nn.Module):
    """GroupNorm -> SiLU -> conv1 -> + time embedding -> GroupNorm -> SiLU -> conv2 (+ 1x1
    shortcut). The GroupNorms pool over all frames (they see the 5-D tensor), as upstream."""

    def __init__(self, in_channels: int, out_channels: int, temb_channels: int,
                 groups: int = 32, eps: float = 1e-5, dropout: float = 0.) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_channels, eps=eps)
        self.conv1 = InflatedConv3d(in_channels, out_channels, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb_channels, out_channels)
        self.norm2 = nn.GroupNorm(groups, out_channels, eps=eps)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = InflatedConv3d(out_channels, out_channels, 3, padding=1)
        self.conv_shortcut = (InflatedConv3d(in_channels, out_channels, 1)
                              if in_channels != out_channels else None)

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return (x if self.conv_shortcut is None else self.conv_shortcut(x)) + h


class Downsample3D(nn.Module):
    """Per-frame 3x3 convolution of stride 2 (key ``downsamplers.0.conv``)."""

    def __init__(self, channels: int, padding: int = 1) -> None:
        super().__init__()
        self.conv = InflatedConv3d(channels, channels, 3, stride=2, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Upsample3D(nn.Module):
    """Nearest x2 in H, W (or to ``size`` = (F, H, W)), then a per-frame 3x3 convolution."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = InflatedConv3d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor, size: Sequence[int] | None = None) -> torch.Tensor:
        dtype = x.dtype
        if dtype == torch.bfloat16:  # nearest upsampling has no bf16 kernel everywhere
            x = x.float()
        if size is None:
            x = F.interpolate(x, scale_factor=[1., 2., 2.], mode='nearest')
        else:
            x = F.interpolate(x, size=tuple(size), mode='nearest')
        return self.conv(x.to(dtype))


class BasicTransformerBlock(nn.Module):
    """Spatial self-attention -> text cross-attention -> temporal attention -> GEGLU FF,
    each pre-norm with a residual (keys ``attn1``, ``attn2``, ``attn_temp``, ``ff``)."""

    def __init__(self, dim: int, heads: int, dim_head: int, cross_attention_dim: int,
                 rotary_emb: RotaryEmbedding, upcast_attention: bool = False) -> None:
        super().__init__()
        self.attn1 = Attention(dim, heads=heads, dim_head=dim_head, bias=False,
                               upcast_attention=upcast_attention)
        self.norm1 = nn.LayerNorm(dim)
        self.attn2 = Attention(dim, cross_attention_dim=cross_attention_dim, heads=heads,
                               dim_head=dim_head, bias=False, upcast_attention=upcast_attention)
        self.norm2 = nn.LayerNorm(dim)
        self.attn_temp = TemporalAttention(dim, heads=heads, dim_head=dim_head,
                                           rotary_emb=rotary_emb)
        self.norm_temp = nn.LayerNorm(dim)
        self.ff = FeedForward(dim, activation_fn='geglu')
        self.norm3 = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, context: torch.Tensor, num_frames: int) -> torch.Tensor:
        # x: (B*F, N, C) tokens of each frame; context: (B*F, L, D)
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), encoder_hidden_states=context) + x
        bf, n, c = x.shape
        t = x.unflatten(0, (bf // num_frames, num_frames)).transpose(1, 2).flatten(0, 1)
        t = self.attn_temp(self.norm_temp(t)) + t  # (B*N, F, C)
        x = t.unflatten(0, (bf // num_frames, n)).transpose(1, 2).flatten(0, 1)
        return self.ff(self.norm3(x)) + x


class Transformer3DModel(nn.Module):
    """Per-frame GroupNorm (eps 1e-6) -> 1x1 ``proj_in`` -> transformer blocks -> 1x1
    ``proj_out`` -> + input."""

    def __init__(self, heads: int, dim_head: int, in_channels: int, cross_attention_dim: int,
                 norm_num_groups: int, rotary_emb: RotaryEmbedding, num_layers: int = 1,
                 upcast_attention: bool = False) -> None:
        super().__init__()
        inner = heads * dim_head
        self.norm = nn.GroupNorm(norm_num_groups, in_channels, eps=1e-6)
        self.proj_in = nn.Conv2d(in_channels, inner, 1)
        self.transformer_blocks = nn.ModuleList(
            BasicTransformerBlock(inner, heads, dim_head, cross_attention_dim, rotary_emb,
                                  upcast_attention) for _ in range(num_layers))
        self.proj_out = nn.Conv2d(inner, in_channels, 1)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        b, c, f, h, w = x.shape
        frames = x.transpose(1, 2).flatten(0, 1)  # (B*F, C, H, W)
        y = self.proj_in(self.norm(frames))
        y = y.flatten(2).transpose(1, 2)  # (B*F, H*W, C) in (y, x) raster order
        ctx = context.repeat_interleave(f, dim=0)
        for block in self.transformer_blocks:
            y = block(y, ctx, f)
        y = self.proj_out(y.transpose(1, 2).unflatten(2, (h, w))) + frames
        return y.unflatten(0, (b, f)).transpose(1, 2)


class _Block(nn.Module):
    """Shared loop of the down / mid / up blocks: resnet (+ attention) pairs."""

    gradient_checkpointing = False

    def _run(self, fn, *args):
        if self.gradient_checkpointing and self.training and torch.is_grad_enabled():
            return checkpoint(fn, *args, use_reentrant=False)
        return fn(*args)


class DownBlock3D(_Block):
    """``layers`` resnets (each followed by a transformer if ``cross``) and a downsampler."""

    def __init__(self, in_channels: int, out_channels: int, temb_channels: int, layers: int,
                 groups: int, eps: float, add_downsample: bool, cross: bool,
                 heads: int = 1, cross_attention_dim: int = 768,
                 rotary_emb: RotaryEmbedding | None = None, padding: int = 1,
                 upcast_attention: bool = False) -> None:
        super().__init__()
        self.resnets = nn.ModuleList(
            ResnetBlock3D(in_channels if i == 0 else out_channels, out_channels, temb_channels,
                          groups, eps) for i in range(layers))
        if cross:
            self.attentions = nn.ModuleList(
                Transformer3DModel(heads, out_channels // heads, out_channels,
                                   cross_attention_dim, groups, rotary_emb,
                                   upcast_attention=upcast_attention) for _ in range(layers))
        self.downsamplers = (nn.ModuleList([Downsample3D(out_channels, padding)])
                             if add_downsample else None)

    def forward(self, x, temb, context):
        states = []
        attentions = getattr(self, 'attentions', [None] * len(self.resnets))
        for resnet, attn in zip(self.resnets, attentions):
            x = self._run(resnet, x, temb)
            if attn is not None:
                x = self._run(attn, x, context)
            states.append(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
            states.append(x)
        return x, states


class UNetMidBlock3DCrossAttn(_Block):
    """resnet -> (transformer -> resnet)."""

    def __init__(self, channels: int, temb_channels: int, groups: int, eps: float, heads: int,
                 cross_attention_dim: int, rotary_emb: RotaryEmbedding,
                 upcast_attention: bool = False) -> None:
        super().__init__()
        self.resnets = nn.ModuleList(
            ResnetBlock3D(channels, channels, temb_channels, groups, eps) for _ in range(2))
        self.attentions = nn.ModuleList([Transformer3DModel(
            heads, channels // heads, channels, cross_attention_dim, groups, rotary_emb,
            upcast_attention=upcast_attention)])

    def forward(self, x, temb, context):
        x = self._run(self.resnets[0], x, temb)
        x = self._run(self.attentions[0], x, context)
        return self._run(self.resnets[1], x, temb)


class UpBlock3D(_Block):
    """``layers`` resnets on [x, skip] (each followed by a transformer if ``cross``) and an
    upsampler."""

    def __init__(self, in_channels: int, prev_channels: int, out_channels: int,
                 temb_channels: int, layers: int, groups: int, eps: float, add_upsample: bool,
                 cross: bool, heads: int = 1, cross_attention_dim: int = 768,
                 rotary_emb: RotaryEmbedding | None = None,
                 upcast_attention: bool = False) -> None:
        super().__init__()
        self.resnets = nn.ModuleList(
            ResnetBlock3D((prev_channels if i == 0 else out_channels)
                          + (in_channels if i == layers - 1 else out_channels),
                          out_channels, temb_channels, groups, eps) for i in range(layers))
        if cross:
            self.attentions = nn.ModuleList(
                Transformer3DModel(heads, out_channels // heads, out_channels,
                                   cross_attention_dim, groups, rotary_emb,
                                   upcast_attention=upcast_attention) for _ in range(layers))
        self.upsamplers = nn.ModuleList([Upsample3D(out_channels)]) if add_upsample else None

    def forward(self, x, skips, temb, context, upsample_size=None):
        attentions = getattr(self, 'attentions', [None] * len(self.resnets))
        for resnet, attn in zip(self.resnets, attentions):
            x = torch.cat([x, skips.pop()], dim=1)
            x = self._run(resnet, x, temb)
            if attn is not None:
                x = self._run(attn, x, context)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x, upsample_size)
        return x


@dataclass
class SEINEUNetOutput(BaseOutput):
    """``sample``: predicted noise (B, out_channels, F, H, W)."""

    sample: torch.Tensor


_BLOCK_3D = {'CrossAttnDownBlock2D': 'CrossAttnDownBlock3D', 'DownBlock2D': 'DownBlock3D',
             'CrossAttnUpBlock2D': 'CrossAttnUpBlock3D', 'UpBlock2D': 'UpBlock3D'}
_KNOWN_BLOCKS = {'CrossAttnDownBlock3D', 'DownBlock3D', 'CrossAttnUpBlock3D', 'UpBlock3D'}


def sd_unet_config_to_seine(config: dict | str | os.PathLike, in_channels: int = 9) -> dict:
    """Constructor arguments of :class:`SEINEUNet` from a Stable Diffusion ``unet/config.json``
    (path to the file or its folder, or the dict): 2-D block types renamed to 3-D, the
    input widened to ``in_channels`` (``from_pretrained_2d(use_concat=True)``)."""
    if not isinstance(config, dict):
        path = os.fspath(config)
        if os.path.isdir(path):
            path = os.path.join(path, 'config.json')
        if not os.path.isfile(path):
            raise FileNotFoundError(f'no UNet config at {path!r}: give the SD-1.4 folder '
                                    f'`stable-diffusion-v1-4/unet` or its config.json')
        with open(path) as f:
            config = json.load(f)
    keys = ('out_channels', 'block_out_channels', 'layers_per_block', 'norm_num_groups',
            'norm_eps', 'cross_attention_dim', 'attention_head_dim', 'downsample_padding',
            'upcast_attention', 'flip_sin_to_cos', 'freq_shift')
    args = {k: config[k] for k in keys if k in config}
    args['down_block_types'] = [_BLOCK_3D.get(t, t) for t in config['down_block_types']]
    args['up_block_types'] = [_BLOCK_3D.get(t, t) for t in config['up_block_types']]
    args['in_channels'] = in_channels
    return args


@MODELS.register_module()
class SEINEUNet(nn.Module):
    """SEINE's 9-channel video UNet (https://arxiv.org/abs/2310.20700).

    Args:
        in_channels: 2 * latent channels + 1: ``[x_t, mask, masked latent]`` (official 9).
        out_channels: latent channels (the predicted eps).
        down_block_types / up_block_types: ``(CrossAttn)DownBlock3D`` / ``(CrossAttn)UpBlock3D``.
        block_out_channels: widths per level.
        layers_per_block: resnets per down block (up blocks have one more).
        norm_num_groups / norm_eps: GroupNorm settings.
        cross_attention_dim: text feature width (CLIP ViT-L/14: 768).
        attention_head_dim: NUMBER OF HEADS per level (diffusers' legacy name; SD-1.4: 8).
        flip_sin_to_cos / freq_shift: sinusoidal timestep embedding settings.
        downsample_padding: padding of the stride-2 convolutions.
        upcast_attention: fp32 attention scores in the spatial / cross attentions.
        rotary_dim: channels of each head rotated by the temporal RoPE.
        config: an SD ``unet/config.json`` (path or dict) that provides every argument
            but ``in_channels`` and ``rotary_dim`` (:func:`sd_unet_config_to_seine`).
    """

    def __init__(self, in_channels: int = 9, out_channels: int = 4,
                 down_block_types: Sequence[str] = ('CrossAttnDownBlock3D', ) * 3
                 + ('DownBlock3D', ),
                 up_block_types: Sequence[str] = ('UpBlock3D', ) + ('CrossAttnUpBlock3D', ) * 3,
                 block_out_channels: Sequence[int] = (320, 640, 1280, 1280),
                 layers_per_block: int = 2, norm_num_groups: int = 32, norm_eps: float = 1e-5,
                 cross_attention_dim: int = 768, attention_head_dim: int | Sequence[int] = 8,
                 flip_sin_to_cos: bool = True, freq_shift: int = 0, downsample_padding: int = 1,
                 upcast_attention: bool = False, rotary_dim: int = 32,
                 config: dict | str | None = None) -> None:
        if config is not None:  # every argument from the SD config file / dict
            self.__init__(**sd_unet_config_to_seine(config, in_channels), rotary_dim=rotary_dim)
            return
        super().__init__()
        for t in (*down_block_types, *up_block_types):
            if t not in _KNOWN_BLOCKS:
                raise ValueError(f'unknown block type {t!r}: SEINEUNet has {sorted(_KNOWN_BLOCKS)}')
        if in_channels % 2 != 1 or (in_channels - 1) // 2 != out_channels:
            raise ValueError(f'in_channels must be 2 * out_channels + 1 ([x_t, mask, masked '
                             f'latent]); got in_channels={in_channels}, '
                             f'out_channels={out_channels}')
        n = len(block_out_channels)
        heads = ([attention_head_dim] * n if isinstance(attention_head_dim, int)
                 else list(attention_head_dim))
        dim_heads = [c // h for c, h in zip(block_out_channels, heads)]
        if min(dim_heads) < rotary_dim:
            raise ValueError(f'rotary_dim={rotary_dim} exceeds the smallest head width '
                             f'{min(dim_heads)} (channels / heads = {dim_heads}); lower rotary_dim '
                             f'(official 32 with SD-1.4 heads of 40/80/160)')
        self.config = dict(
            in_channels=in_channels, out_channels=out_channels,
            down_block_types=list(down_block_types), up_block_types=list(up_block_types),
            block_out_channels=list(block_out_channels), layers_per_block=layers_per_block,
            norm_num_groups=norm_num_groups, norm_eps=norm_eps,
            cross_attention_dim=cross_attention_dim, attention_head_dim=heads,
            flip_sin_to_cos=flip_sin_to_cos, freq_shift=freq_shift,
            downsample_padding=downsample_padding, upcast_attention=upcast_attention,
            rotary_dim=rotary_dim)
        self.in_channels, self.out_channels = in_channels, out_channels
        temb = block_out_channels[0] * 4
        self.conv_in = InflatedConv3d(in_channels, block_out_channels[0], 3, padding=1)
        self.time_proj = Timesteps(block_out_channels[0], flip_sin_to_cos, freq_shift)
        self.time_embedding = TimestepEmbedding(block_out_channels[0], temb)
        self.rotary_emb = RotaryEmbedding(rotary_dim)
        common = dict(temb_channels=temb, groups=norm_num_groups, eps=norm_eps,
                      cross_attention_dim=cross_attention_dim, rotary_emb=self.rotary_emb,
                      upcast_attention=upcast_attention)
        self.down_blocks = nn.ModuleList()
        out = block_out_channels[0]
        for i, kind in enumerate(down_block_types):
            inp, out = out, block_out_channels[i]
            self.down_blocks.append(DownBlock3D(
                inp, out, layers=layers_per_block, add_downsample=i < n - 1,
                cross=kind.startswith('CrossAttn'), heads=heads[i], padding=downsample_padding,
                **common))
        self.mid_block = UNetMidBlock3DCrossAttn(block_out_channels[-1], heads=heads[-1],
                                                 **common)
        self.up_blocks = nn.ModuleList()
        rev, rev_heads = list(reversed(block_out_channels)), list(reversed(heads))
        out = rev[0]
        for i, kind in enumerate(up_block_types):
            prev, out = out, rev[i]
            inp = rev[min(i + 1, n - 1)]
            self.up_blocks.append(UpBlock3D(
                inp, prev, out, layers=layers_per_block + 1, add_upsample=i < n - 1,
                cross=kind.startswith('CrossAttn'), heads=rev_heads[i], **common))
        self.conv_norm_out = nn.GroupNorm(norm_num_groups, block_out_channels[0], eps=norm_eps)
        self.conv_out = InflatedConv3d(block_out_channels[0], out_channels, 3, padding=1)

    @property
    def num_upsamplers(self) -> int:
        return sum(b.upsamplers is not None for b in self.up_blocks)

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Recompute each resnet / transformer in the backward pass (saves activations)."""
        for block in (*self.down_blocks, self.mid_block, *self.up_blocks):
            block.gradient_checkpointing = enable

    def set_attention_slice(self, slice_size: int | None) -> None:
        """Sliced spatial / cross attention (diffusers' ``SlicedAttnProcessor``); ``None``
        restores the default processor."""
        for m in self.modules():
            if isinstance(m, Attention):
                if slice_size is None:
                    m.set_processor(AttnProcessor2_0())
                else:
                    m.set_attention_slice(min(slice_size, m.sliceable_head_dim))

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor | int,
                encoder_hidden_states: torch.Tensor, return_dict: bool = True
                ) -> SEINEUNetOutput | tuple:
        """Noise prediction for (B, in_channels, F, H, W) at ``timestep`` given text
        (B, L, D) (a (B, 1, L, D) training-style text is accepted too)."""
        if sample.dim() != 5 or sample.shape[1] != self.in_channels:
            raise ValueError(f'sample must be (B, {self.in_channels}, F, H, W) = [x_t, mask, '
                             f'masked latent]; got {tuple(sample.shape)}')
        if encoder_hidden_states.dim() == 4:
            encoder_hidden_states = encoder_hidden_states[:, 0]
        factor = 2 ** self.num_upsamplers
        forward_size = any(s % factor for s in sample.shape[-2:])
        t = torch.as_tensor(timestep, device=sample.device)
        if t.dim() == 0:
            t = t[None]
        t = t.to(torch.int64) if not t.is_floating_point() else t
        t = t.expand(sample.shape[0])
        emb = self.time_embedding(self.time_proj(t).to(sample.dtype))
        x = self.conv_in(sample)
        skips = [x]
        for block in self.down_blocks:
            x, states = block(x, emb, encoder_hidden_states)
            skips.extend(states)
        x = self.mid_block(x, emb, encoder_hidden_states)
        for i, block in enumerate(self.up_blocks):
            n = len(block.resnets)
            block_skips, skips = skips[-n:], skips[:-n]
            size = skips[-1].shape[2:] if forward_size and i < len(self.up_blocks) - 1 else None
            x = block(x, block_skips, emb, encoder_hidden_states, size)
        x = self.conv_out(F.silu(self.conv_norm_out(x)))
        return SEINEUNetOutput(sample=x) if return_dict else (x, )

    def forward_with_cfg(self, sample: torch.Tensor, timestep: torch.Tensor,
                         encoder_hidden_states: torch.Tensor, cfg_scale: float
                         ) -> torch.Tensor:
        """The official ``forward_with_cfg``: run the FIRST half of ``sample`` with the text
        rows [cond | uncond], return ``uncond + s * (cond - uncond)`` for both halves."""
        half = sample[:len(sample) // 2]
        t = torch.as_tensor(timestep, device=sample.device)
        eps = self(torch.cat([half, half]), t, encoder_hidden_states).sample
        cond, uncond = eps.chunk(2)
        guided = uncond + cfg_scale * (cond - uncond)
        return torch.cat([guided, guided])
