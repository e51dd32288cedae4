"""Reading CLIP checkpoints (OpenAI ``.pt``, open_clip files) as OpenAI-keyed state dicts.

Several plugins start from CLIP weights (Harvest post-pretrains a CLIP image model, the
curation and SEINE metrics score frames with one, UMT's teacher is one). This module gives
them one reader:

- :func:`load_clip_checkpoint` opens a local file: an OpenAI release (a TorchScript archive,
  read with ``torch.jit.load``, which restores tensors and TorchScript code but unpickles no
  Python classes), an open_clip ``state_dict`` file or training checkpoint
  (``{'state_dict': {'module.visual...'}}``) or safetensors.
- :func:`convert_clip` (converter ``clip``) maps what it read to the OpenAI key names
  (``visual.conv1.weight``, ``transformer.resblocks.i.*``, ``token_embedding.weight``,
  ``logit_scale``, ...): ``module.`` prefixes and open_clip's ``text.`` tower prefix go, the
  JIT scalars (``input_resolution``, ``context_length``, ``vocab_size``) and the causal
  ``attn_mask`` buffer a TorchScript archive carries are dropped, and
  layouts that are not an OpenAI-style ViT CLIP (transformers' ``vision_model.``, ResNet or
  timm towers) are refused with a message saying what they look like.
- :func:`clip_sizes` reads the tower sizes off the keys (as OpenAI's ``build_model``).
"""
from __future__ import annotations

import os

import torch

from .convert import register_converter
from .io import load_checkpoint_file, unwrap_state_dict

__all__ = ['load_clip_checkpoint', 'convert_clip', 'clip_sizes', 'NotCLIPCheckpointError']

_JIT_SCALARS = ('input_resolution', 'context_length', 'vocab_size')


class NotCLIPCheckpointError(ValueError):
    """The state dict is not an OpenAI-style ViT CLIP."""


def load_clip_checkpoint(path: str | os.PathLike, trusted: bool = False
                         ) -> dict[str, torch.Tensor]:
    """A local CLIP file as an OpenAI-keyed state dict (see the module docstring)."""
    return convert_clip(unwrap_state_dict(load_checkpoint_file(path, trusted=trusted)))


@register_converter('clip')
def convert_clip(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Any OpenAI / open_clip ViT CLIP state dict -> OpenAI key names."""
    sd = {k[len('module.'):] if k.startswith('module.') else k: v
          for k, v in state_dict.items()
          if k not in _JIT_SCALARS and not k.endswith('attn_mask')}  # TorchScript buffers
    keys = list(sd)
    if any(k.startswith(('vision_model.', 'text_model.')) for k in keys):
        raise NotCLIPCheckpointError(
            "this is a transformers CLIPModel (vision_model.* / text_model.* keys); load it "
            "with transformers and save open_clip / OpenAI keys, or use the open_clip file")
    if any(k.startswith(('visual.layer1.', 'visual.trunk.')) for k in keys):
        raise NotCLIPCheckpointError(
            'this CLIP has a ResNet or timm visual tower (visual.layer1 / visual.trunk keys); '
            'only OpenAI-style ViT towers (visual.conv1, visual.transformer) are supported')
    sd = {k[len('text.'):] if k.startswith('text.') else k: v for k, v in sd.items()}
    if 'visual.conv1.weight' not in sd or 'visual.class_embedding' not in sd:
        raise NotCLIPCheckpointError(
            f'not a ViT CLIP checkpoint: no visual.conv1.weight / visual.class_embedding '
            f'(first keys: {keys[:8]}). Video models have their own converters '
            f'(tools/convert_checkpoint.py --list)')
    return sd


def clip_sizes(state_dict: dict[str, torch.Tensor]) -> dict[str, int]:
    """Tower sizes of an OpenAI-keyed CLIP state dict: ``patch_size``, ``input_resolution``,
    ``vision_width``, ``vision_layers``, ``embed_dim``, ``context_length``, ``vocab_size``,
    ``text_width``, ``text_layers`` (``text_heads`` = width // 64, OpenAI's rule)."""
    sd = state_dict
    conv = sd['visual.conv1.weight']
    grid = round((sd['visual.positional_embedding'].shape[0] - 1)**0.5)
    out = dict(patch_size=int(conv.shape[-1]), input_resolution=int(conv.shape[-1]) * grid,
               vision_width=int(conv.shape[0]),
               vision_layers=len({k.split('.')[3] for k in sd
                                  if k.startswith('visual.transformer.resblocks.')}))
    if 'text_projection' in sd:
        width = int(sd['ln_final.weight'].shape[0])
        out.update(embed_dim=int(sd['text_projection'].shape[1]),
                   context_length=int(sd['positional_embedding'].shape[0]),
                   vocab_size=int(sd['token_embedding.weight'].shape[0]), text_width=width,
                   text_heads=max(1, width // 64),
                   text_layers=len({k.split('.')[2] for k in sd
                                    if k.startswith('transformer.resblocks.')}))
    return out
