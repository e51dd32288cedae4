"""Checkpoints -> :class:`SEINEUNet` keys (the official names, so mostly unchanged).

==================  ================================================  =======================
converter           source                                            what changes
==================  ================================================  =======================
``seine``           ``seine.pt`` (``{'ema': state_dict}``, 3.6 GB)    the per-attention
                                                                      ``rotary_emb.freqs``
                                                                      copies are checked
                                                                      against the fixed RoPE
                                                                      table and dropped
``seine/sd14``      SD-1.4 ``unet/diffusion_pytorch_model.bin``       ``conv_in`` widened
                    (diffusers layout)                                4 -> 9 input channels
                                                                      (zeros); temporal
                                                                      attention left to its
                                                                      init (zero out-proj)
``seine/lavie``     LaVie-base UNet (SEINE's layout, 4 input          ``conv_in`` widened
                    channels, temporal attention included)            4 -> 9 (zeros)
==================  ================================================  =======================

The official ``from_pretrained_2d(use_concat=True)`` copies only ``conv_in`` from SD and keeps
the random init everywhere else; these converters carry every weight the source has.
``load_seine_checkpoint`` reads a file memory-mapped (``torch.load(mmap=True)``) with the
project's safe unpickler, so a 3.6 GB file does not need 3.6 GB of RAM to convert.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

import torch

from mmvideofm.checkpoint import register_converter, unwrap_state_dict
from mmvideofm.checkpoint.io import load_checkpoint_file

from .models.temporal_attention import RotaryEmbedding

__all__ = ['convert_seine', 'convert_sd14_to_seine', 'convert_lavie_to_seine',
           'load_seine_checkpoint', 'widen_conv_in']

_ROTARY = 'rotary_emb.freqs'
_TEMPORAL = ('attn_temp.', 'norm_temp.')


def load_seine_checkpoint(path: str | os.PathLike, key: str | None = 'ema',
                          mmap: bool = True) -> dict[str, torch.Tensor]:
    """The state dict of ``seine.pt`` (under ``key``; ``None``: any known wrapper),
    memory-mapped and loaded safely (the core loader: ``weights_only`` + the allowlist)."""
    if not os.path.isfile(os.fspath(path)):
        raise FileNotFoundError(f'checkpoint file not found: {os.fspath(path)!r} (download '
                                f'seine.pt from the Hugging Face repo xinyuanc91/SEINE)')
    ckpt = load_checkpoint_file(path, mmap=mmap)
    if key is not None and isinstance(ckpt, Mapping) and key in ckpt:
        ckpt = ckpt[key]
    return unwrap_state_dict(ckpt)


def _strip(sd: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for k, v in sd.items():
        for prefix in ('module.', '_orig_mod.', 'unet.'):
            if k.startswith(prefix):
                k = k[len(prefix):]
        out[k] = v
    return out


def widen_conv_in(sd: dict[str, torch.Tensor], in_channels: int = 9) -> dict[str, torch.Tensor]:
    """``conv_in.weight`` with 4 input channels -> ``in_channels`` (new channels zero), so the
    model starts as the source on ``x_t`` and ignores mask and masked latent."""
    w = sd['conv_in.weight']
    if w.shape[1] != in_channels:
        new = w.new_zeros(w.shape[0], in_channels, *w.shape[2:])
        new[:, :w.shape[1]] = w
        sd['conv_in.weight'] = new
    return sd


@register_converter('seine')
def convert_seine(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``seine.pt['ema']`` (or a bare / wrapped copy) -> SEINEUNet keys."""
    if isinstance(state_dict, Mapping) and 'ema' in state_dict \
            and isinstance(state_dict['ema'], Mapping):
        state_dict = state_dict['ema']
    sd = _strip(state_dict)
    if 'conv_in.weight' not in sd or not any('.attn_temp.' in k for k in sd):
        hint = ('an SD-1.4 UNet: use the seine/sd14 converter'
                if 'conv_in.weight' in sd else 'first keys: ' + ', '.join(list(sd)[:6]))
        raise ValueError(f'not a SEINE checkpoint (no conv_in / attn_temp keys); {hint}')
    cin, cout = sd['conv_in.weight'].shape[1], sd['conv_out.weight'].shape[0]
    if cin != 2 * cout + 1:
        raise ValueError(f'conv_in has {cin} input channels, SEINE has 2 * {cout} + 1 = '
                         f'{2 * cout + 1} ([x_t, mask, masked latent]): for a {cout}-channel '
                         f'LaVie UNet use the seine/lavie converter')
    out = {}
    for k, v in sd.items():
        if k.endswith(_ROTARY):
            ref = RotaryEmbedding(v.numel() * 2).freqs
            if not torch.allclose(v.float(), ref, rtol=1e-6, atol=0):
                raise ValueError(f'{k} differs from the fixed RoPE table of dim {ref.numel() * 2}')
            continue
        out[k] = v
    return out


@register_converter('seine/sd14')
def convert_sd14_to_seine(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """SD-1.4 UNet (diffusers keys) -> SEINEUNet init: every spatial weight, conv_in widened;
    the temporal attentions are not in the source (keep their zero out-projection init)."""
    sd = _strip(state_dict)
    if 'conv_in.weight' not in sd:
        raise ValueError('not a diffusers UNet state dict: no conv_in.weight (SD-1.4: '
                         'stable-diffusion-v1-4/unet/diffusion_pytorch_model.bin)')
    if any(t in k for k in sd for t in _TEMPORAL):
        raise ValueError('this UNet already has temporal attention: use the seine/lavie '
                         '(4 input channels) or seine (9) converter')
    return widen_conv_in(dict(sd))


@register_converter('seine/lavie')
def convert_lavie_to_seine(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """LaVie-base UNet (SEINE's layout with 4 input channels) -> SEINEUNet, conv_in widened."""
    sd = _strip(state_dict)
    if not any('.attn_temp.' in k for k in sd):
        raise ValueError('no attn_temp keys: not a LaVie UNet (for SD-1.4 use seine/sd14)')
    sd = {k: v for k, v in sd.items() if not k.endswith(_ROTARY)}
    return widen_conv_in(sd)
