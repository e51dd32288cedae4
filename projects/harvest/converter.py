"""Checkpoints -> Harvest keys (``tools/convert_checkpoint.py harvest IN OUT``).

========================  =============================================  =====================
source                    signature                                      converter
========================  =============================================  =====================
official CoTrain / Harvest ``clip.visual.*``, ``clip.visual_proj``,       ``harvest``
(``ckpt['state_dict']``)  ``caption_decoder.*``
CLIP image model          ``visual.conv1.weight``, ``token_embedding``   ``harvest/clip``
(OpenAI / open_clip)      (read by :func:`mmvideofm.checkpoint.load_clip_checkpoint`)
========================  =============================================  =====================

Official -> ours: ``clip.visual.X`` -> ``backbone.X``, ``clip.visual_ln_post`` ->
``backbone.ln_post``, ``clip.visual_proj`` -> ``backbone.proj``, the text tower
(``clip.token_embedding``, ``positional_embedding``, ``transformer``, ``ln_final``,
``text_projection``, ``text_mask_embedding``) -> ``text_encoder.*``, ``clip.logit_scale`` ->
``logit_scale``; ``caption_decoder.*`` is unchanged. CLIP -> ours is the post-pretraining
start: the 2D patch kernel becomes a (1, p, p) Conv3d, ``visual.ln_post`` / ``visual.proj``
go to ``backbone.ln_post`` / ``backbone.proj`` (official ``build_model``); the extractor, the
mask embedding and the decoder keep their initialisation.
"""
from __future__ import annotations

import torch
from torch import nn

from mmvideofm.checkpoint import (
    ConvertedPretrainedInit,
    NotCLIPCheckpointError,
    convert_clip,
    load_clip_checkpoint,
    load_state_dict_checked,
    register_converter,
    rename_keys,
)
from mmvideofm.registry import WEIGHT_INITIALIZERS

__all__ = ['convert_harvest', 'convert_clip_to_harvest', 'HarvestPretrainedInit',
           'NotHarvestCheckpointError']

_TEXT = r'(token_embedding|positional_embedding|transformer|ln_final|text_projection)'


class NotHarvestCheckpointError(ValueError):
    """The state dict is not an official Harvest / InternVideo-MM (CoTrain) checkpoint."""


@register_converter('harvest')
def convert_harvest(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Official ``CoTrain`` (``clip_type='kc_new'``) state dict -> Harvest keys."""
    sd = {k[len('model.'):] if k.startswith('model.') else k: v for k, v in state_dict.items()}
    if any(k.startswith(('backbone.', 'text_encoder.')) for k in sd):
        return sd  # already ours
    if 'clip.visual.conv1.weight' not in sd:
        if 'visual.conv1.weight' in sd or 'visual.class_embedding' in sd:
            raise NotHarvestCheckpointError(
                'this is a CLIP image model (visual.* keys without the clip. prefix): start '
                'post-pretraining from it with the harvest/clip converter '
                '(tools/convert_checkpoint.py harvest/clip IN OUT, or init_cfg=dict('
                "type='HarvestPretrained', checkpoint=PATH))")
        if any(k.startswith(('vision_encoder.', 'text_encoder.')) for k in sd):
            raise NotHarvestCheckpointError(
                'this looks like a ViCLIP or UMT video-text checkpoint (vision_encoder.*): '
                'use the viclip or umt converter')
        raise NotHarvestCheckpointError(
            f'not a Harvest / InternVideo-MM checkpoint: no clip.visual.conv1.weight (first '
            f'keys: {list(sd)[:8]})')
    return rename_keys(sd, [
        (r'^clip\.visual_ln_post\.', 'backbone.ln_post.'),
        (r'^clip\.visual_proj$', 'backbone.proj'),
        (r'^clip\.visual\.', 'backbone.'),
        (r'^clip\.logit_scale$', 'logit_scale'),
        (r'^clip\.text_mask_embedding$', 'text_encoder.text_mask_embedding'),
        (rf'^clip\.{_TEXT}', r'text_encoder.\1'),
        (r'^caption_decoder\.', 'caption_decoder.'),
    ])


@register_converter('harvest/clip')
def convert_clip_to_harvest(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """CLIP image model (OpenAI / open_clip keys) -> the towers of a Harvest model."""
    sd = convert_clip(state_dict)
    out = rename_keys(sd, [
        (r'^visual\.ln_post\.', 'backbone.ln_post.'),
        (r'^visual\.proj$', 'backbone.proj'),
        (r'^visual\.', 'backbone.'),
        (r'^logit_scale$', 'logit_scale'),
        (rf'^{_TEXT}', r'text_encoder.\1'),
    ])
    conv = out.get('backbone.conv1.weight')
    if conv is not None and conv.ndim == 4:
        out['backbone.conv1.weight'] = conv.unsqueeze(2)  # (W, 3, p, p) -> (W, 3, 1, p, p)
    return out


@WEIGHT_INITIALIZERS.register_module('HarvestPretrained')
class HarvestPretrainedInit(ConvertedPretrainedInit):
    """``init_cfg=dict(type='HarvestPretrained', checkpoint=PATH)`` on a ``Harvest`` model:
    a CLIP image model (OpenAI ``.pt`` / open_clip file: post-pretraining starts from it) or
    an official Harvest / CoTrain checkpoint, chosen by the file's keys.

    A CLIP start loads non-strictly by design (the extractor, ``text_mask_embedding`` and
    the fusion decoder are new), but every converted key must exist with its shape:
    a CLIP of another size fails listing the keys and naming the converter.
    """

    converter_hint = 'harvest/clip'

    def __call__(self, module: nn.Module) -> None:
        try:
            sd = convert_clip_to_harvest(load_clip_checkpoint(self.checkpoint, self.trusted))
        except NotCLIPCheckpointError:  # an official Harvest / CoTrain file
            return super().__call__(module)
        own = module.state_dict()
        if any(k not in own or own[k].shape != v.shape for k, v in sd.items()):
            # a CLIP of another size: list missing / unexpected / mis-shaped keys
            load_state_dict_checked(module, sd, strict=True, converter_hint='harvest/clip')
        with torch.no_grad():
            module.load_state_dict(sd, strict=False)

    def convert(self, state_dict: dict, module: nn.Module) -> dict:
        return convert_harvest(state_dict)
