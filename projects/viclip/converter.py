"""Official ViCLIP checkpoints -> mmvideofm (``tools/convert_checkpoint.py viclip IN OUT``).

ViCLIP's modules keep the official names, so conversion is a check plus prefix handling:

==============================  ==========================================  ===============
source                          signature                                   mapped to
==============================  ==========================================  ===============
``ViCLIP-*.pth`` (trainer)      ``model`` -> ``vision_encoder.*``,           unchanged
                                ``text_encoder.*``, ``temp``; a pickled
                                EasyDict ``config`` beside it (dropped)
``ViCLIP-*-hf`` safetensors     the same keys, possibly under ``model.``     prefix removed
                                or ``viclip.``
mmvideofm runner checkpoint     ``state_dict`` with the same keys            unchanged
==============================  ==========================================  ===============

The ``.pth`` files of the official trainer pickle their EasyDict ``config``: the safe loader
reads it as a plain dict (``mmvideofm.checkpoint.io.PickledConfig``) and ``unwrap_state_dict``
keeps only the ``model`` tensors, so the config is dropped (:func:`load_viclip_checkpoint`
says so). Other models' files are refused with a message naming what they look like.
"""
from __future__ import annotations

import os

import torch
from mmengine.logging import print_log

from mmvideofm.checkpoint import (
    load_checkpoint_file,
    register_converter,
    unwrap_state_dict,
)

__all__ = ['convert_viclip', 'detect_viclip_layout', 'load_viclip_checkpoint',
           'NotViCLIPCheckpointError', 'viclip_arch_of', 'clip_to_viclip']


class NotViCLIPCheckpointError(ValueError):
    """The state dict is not a ViCLIP checkpoint."""


#: signature keys of other models' files -> what the file looks like and the converter to use
_FOREIGN = (
    (('vision_encoder.encoder.', 'clip_teacher.'),
     'a UMT stage-2 (video-text) checkpoint; use `tools/convert_checkpoint.py umt IN OUT`'),
    (('decoder.', 'encoder_to_decoder.', 'mask_token'),
     'a VideoMAE / VideoMAE V2 pretraining checkpoint; use the videomaev2 converter'),
    (('visual.', 'logit_scale'),
     'an OpenAI / open_clip image CLIP; ViCLIP training starts from it: '
     '`tools/convert_checkpoint.py viclip/from_clip IN OUT`'),
    (('clip.', 'text_decoder.', 'caption_decoder.'),
     'an InternVideo1 multi-modality (Harvest-style) checkpoint; use the harvest converter'),
    (('blocks.', 'patch_embed.'), 'a ViT / UMT / VideoMAE video backbone, not ViCLIP'),
)
_PREFIXES = ('module.', 'model.', 'viclip.')


def _strip(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    for prefix in _PREFIXES:
        if sd and all(k.startswith(prefix) for k in sd):
            return _strip({k[len(prefix):]: v for k, v in sd.items()})
    return sd


def detect_viclip_layout(sd: dict[str, torch.Tensor]) -> str:
    """``'viclip'`` for a ViCLIP state dict (after prefix removal); raise
    :class:`NotViCLIPCheckpointError` naming what another file looks like."""
    sd = _strip(sd)
    if 'vision_encoder.temporal_positional_embedding' in sd or (
            'vision_encoder.class_embedding' in sd and any(
                k.startswith('text_encoder.token_embedding') for k in sd)):
        return 'viclip'
    for signature, what in _FOREIGN:
        if any(k.startswith(signature) or k in signature for k in sd):
            raise NotViCLIPCheckpointError(f'this is not a ViCLIP checkpoint: it looks like '
                                           f'{what} (first keys: {list(sd)[:6]})')
    raise NotViCLIPCheckpointError(
        f'unrecognised checkpoint for ViCLIP (first keys: {list(sd)[:8]}); expected '
        "'vision_encoder.*', 'text_encoder.*' and 'temp' (ViCLIP-*.pth 'model', or the -hf "
        'model.safetensors)')


@register_converter('viclip')
def convert_viclip(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Any released ViCLIP state dict -> mmvideofm keys (see the module docstring)."""
    sd = _strip(dict(state_dict))
    detect_viclip_layout(sd)
    # the causal mask is not a parameter (never saved officially; drop it if present)
    return {k: v for k, v in sd.items() if not k.endswith('attn_mask')}


def viclip_arch_of(state_dict: dict[str, torch.Tensor]) -> str:
    """``'b'`` or ``'l'`` from the vision width (768 / 1024); ValueError otherwise."""
    width = convert_viclip(state_dict)['vision_encoder.class_embedding'].shape[0]
    archs = {768: 'b', 1024: 'l'}
    if width not in archs:
        raise ValueError(f'vision width {width} is neither ViCLIP-B (768) nor ViCLIP-L (1024)')
    return archs[width]


def load_viclip_checkpoint(path: str | os.PathLike, trusted: bool = False
                           ) -> dict[str, torch.Tensor]:
    """Load a released ViCLIP file (``.pth`` or ``.safetensors``) safely and convert it.

    A trainer ``.pth`` also holds a pickled EasyDict ``config`` (and possibly optimizer
    state): it is read as plain data, never imported, and dropped with a note.
    """
    ckpt = load_checkpoint_file(path, trusted=trusted)
    if isinstance(ckpt, dict):
        dropped = sorted(k for k in ckpt if k != 'model' and not isinstance(ckpt[k],
                                                                              torch.Tensor))
        if 'model' in ckpt and dropped:
            print_log(f'{os.fspath(path)}: keeping the "model" weights; dropped {dropped} '
                      '(the pickled training config and trainer state are not needed)',
                      logger='current')
    return convert_viclip(unwrap_state_dict(ckpt))


@register_converter('viclip/from_clip')
def clip_to_viclip(state_dict: dict[str, torch.Tensor], context_length: int = 32
                   ) -> dict[str, torch.Tensor]:
    """An OpenAI / open_clip CLIP state dict -> ViCLIP keys: ``visual.*`` ->
    ``vision_encoder.*`` (``conv1`` gets a temporal axis of 1), the text keys ->
    ``text_encoder.*`` with the first ``context_length`` positions (official
    ``clip_text_*``), ``logit_scale`` dropped (ViCLIP's ``temp`` starts at 1/100). The
    temporal embedding is left to the model (zero-initialised)."""
    if not any(k.startswith('visual.') for k in state_dict):
        raise ValueError('not an OpenAI / open_clip CLIP state dict (no visual.* keys); a '
                         'ViCLIP checkpoint converts with the viclip converter')
    out = {}
    for key, value in state_dict.items():
        if key in ('logit_scale', 'logit_bias', 'input_resolution', 'context_length',
                   'vocab_size'):
            continue
        if key.startswith('visual.'):
            name = 'vision_encoder.' + key[len('visual.'):]
            if name == 'vision_encoder.conv1.weight' and value.ndim == 4:
                value = value.unsqueeze(2)
        else:
            name = 'text_encoder.' + key
            if key == 'positional_embedding':
                value = value[:context_length]
        out[name] = value
    return out
