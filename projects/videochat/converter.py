"""Official VideoChat-Embed checkpoints -> mmvideofm keys (``tools/convert_checkpoint.py NAME
IN OUT``).

=============================  =========================================================
converter (official file)      what it maps
=============================  =========================================================
``videochat``                  ``videochat_7b.pth`` / ``videochat.pth`` (13B): the delta
                               checkpoint ``tasks/train.py`` saves (trainable parameters +
                               buffers; the frozen ViT / Q-Former / LLM come from the
                               other files) or a full ``VideoChat.state_dict()``
``eva_vit_g``                  ``eva_vit_g.pth`` (2-D EVA-CLIP ViT-g): -> ``vision_encoder.*``
                               (the model inflates the patch weight and resizes
                               ``pos_embed`` on load)
``blip2_qformer``              ``blip2_pretrained_flant5xxl.pth``: ``Qformer.*`` minus the
                               parts VideoChat deletes (word / position embeddings, text FFN
                               ``intermediate`` / ``output``, ``cls``), ``query_tokens``,
                               ``ln_vision``; the FLAN-T5 side is dropped
=============================  =========================================================

Renames: ``visual_encoder`` -> ``vision_encoder``, ``ln_vision`` -> ``vision_layernorm``,
``Qformer`` / ``query_tokens`` / ``extra_query_tokens`` -> ``qformer.*``, ``llama_proj`` ->
``llm_proj``, ``llama_model`` -> ``llm.model``; LLaMA's ``rotary_emb.inv_freq`` buffers are
dropped (transformers recomputes them, base 10000).
"""
from __future__ import annotations

import re

import torch
from mmengine.logging import print_log
from torch import nn

from mmvideofm.checkpoint import (
    ConvertedPretrainedInit,
    get_converter,
    load_checkpoint_file,
    register_converter,
    rename_keys,
    unwrap_state_dict,
)
from mmvideofm.registry import WEIGHT_INITIALIZERS

__all__ = ['official_to_ours', 'convert_videochat', 'convert_eva_vit_g', 'convert_blip2_qformer',
           'VideoChatPretrainedInit']

_RULES = [(r'^visual_encoder\.', 'vision_encoder.'), (r'^ln_vision\.', 'vision_layernorm.'),
          (r'^Qformer\.', 'qformer.'), (r'^(query_tokens|extra_query_tokens)$', r'qformer.\1'),
          (r'^llama_proj\.', 'llm_proj.'), (r'^llama_model\.', 'llm.model.')]
# parts of the BLIP-2 Q-Former that VideoChat sets to None (text input, MLM head)
_QFORMER_TEXT = re.compile(r'^Qformer\.(cls\.|bert\.embeddings\.(word|position)_embeddings\.|'
                           r'bert\.encoder\.layer\.\d+\.(intermediate|output)\.)')


def official_to_ours(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename official VideoChat keys to ours (no checks); drops rotary inv_freq."""
    sd = {k: v for k, v in sd.items() if not k.endswith('rotary_emb.inv_freq')}
    return rename_keys(sd, _RULES)


@register_converter('videochat')
def convert_videochat(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Official VideoChat (delta or full) -> ours."""
    if not any(k.startswith(('llama_proj.', 'visual_encoder.gmhra', 'extra_query_tokens'))
               for k in sd):
        raise ValueError('not a VideoChat checkpoint: no llama_proj / visual_encoder.gmhra / '
                         'extra_query_tokens key (for eva_vit_g.pth use the eva_vit_g '
                         'converter, for BLIP-2 blip2_qformer)')
    return official_to_ours(sd)


@register_converter('eva_vit_g')
def convert_eva_vit_g(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """BLIP-2's ``eva_vit_g.pth`` (bare 2-D ViT) -> ``vision_encoder.*``."""
    if 'patch_embed.proj.weight' not in sd or 'pos_embed' not in sd:
        raise ValueError('not an EVA ViT checkpoint: expected the bare keys '
                         'patch_embed.proj.weight and pos_embed (a full VideoChat / BLIP-2 '
                         'checkpoint needs the videochat / blip2_qformer converter)')
    return {'vision_encoder.' + k: v for k, v in sd.items()}


@register_converter('blip2_qformer')
def convert_blip2_qformer(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """BLIP-2 (``blip2_pretrained_flant5xxl.pth``) -> the Q-Former, queries and ln_vision
    VideoChat takes from it."""
    if 'query_tokens' not in sd:
        raise ValueError('not a BLIP-2 checkpoint: no query_tokens key')
    keep = {k: v for k, v in sd.items()
            if k.startswith(('Qformer.', 'ln_vision.', 'visual_encoder.'))
            or k == 'query_tokens'}
    keep = {k: v for k, v in keep.items() if not _QFORMER_TEXT.match(k)}
    dropped = sorted({k.split('.')[0] for k in sd if k not in keep and not _QFORMER_TEXT.match(k)})
    if dropped:
        print_log(f'blip2_qformer: dropped the parts VideoChat does not use: {dropped}',
                  logger='current')
    return official_to_ours(keep)


@WEIGHT_INITIALIZERS.register_module('VideoChatPretrained')
class VideoChatPretrainedInit(ConvertedPretrainedInit):
    """``init_cfg=[dict(type='VideoChatPretrained', checkpoint=PATH, source=S), ...]`` on a
    ``VideoChat`` model, in the official order: ``source='eva_vit_g'`` (``eva_vit_g.pth``),
    ``'blip2_qformer'`` (``blip2_pretrained_flant5xxl.pth``), then ``'videochat'`` (the
    released delta). Non-strict as officially (each file has only its part); a key whose shape
    differs is an error, except in the EVA file (``pos_embed`` / patch weight are adapted by
    the model)."""

    def __init__(self, checkpoint: str, source: str = 'videochat', **kwargs) -> None:
        if source not in ('eva_vit_g', 'blip2_qformer', 'videochat'):
            raise ValueError(f"source must be 'eva_vit_g', 'blip2_qformer' or 'videochat', "
                             f'got {source!r}')
        super().__init__(checkpoint, **kwargs)
        self.converter_hint = source

    def convert(self, state_dict: dict, module: nn.Module) -> dict:
        return get_converter(self.converter_hint)(state_dict)

    def __call__(self, module: nn.Module) -> None:
        sd = self.convert(unwrap_state_dict(load_checkpoint_file(self.checkpoint,
                                                                 trusted=self.trusted)), module)
        with torch.no_grad():
            missing, unexpected = module.load_state_dict(sd, strict=False)
        if unexpected:
            print_log(f'{self.checkpoint}: keys the model lacks (ignored, as officially): '
                      f'{unexpected[:10]}', logger='current')
        print_log(f'{self.checkpoint} ({self.converter_hint}): loaded {len(sd)} tensors, '
                  f'{len(missing)} model keys come from elsewhere', logger='current')
