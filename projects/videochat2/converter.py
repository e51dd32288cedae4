"""Official VideoChat2 checkpoints -> mmvideofm keys (``tools/convert_checkpoint.py
videochat2 IN OUT``).

The stage is recognised by signature keys:

=================================  ==========================================================
stage (official file)              signature
=================================  ==========================================================
1 ``umt_l16_qformer.pth``          ``vision_temp_embed`` / ``temp`` / ``itm_head.*``
2 ``videochat2_7b_stage2.pth``     ``llama_proj.*`` (or ``mistral_proj.*``), no LoRA keys
3 ``videochat2_7b_stage3.pth``     ``...lora_A.default.weight`` under ``llama_model`` /
                                   ``mistral_model``
=================================  ==========================================================

Renames: ``vision_encoder.encoder.*`` -> ``vision_encoder.*``; ``query_tokens`` /
``extra_query_tokens`` -> ``qformer.*`` (the core Q-Former owns its queries);
``llama_model.*`` / ``mistral_model.*`` -> ``llm.model.*`` and ``llama_proj`` /
``mistral_proj`` -> ``llm_proj`` (the core ``BaseVideoLLM`` / ``CausalLM``); LLaMA's
``rotary_emb.inv_freq`` buffers are dropped (transformers recomputes them); a LoRA-wrapped
linear's base weight ``x_proj.weight`` -> ``x_proj.base_layer.weight`` (the installed peft's
layout; the checkpoints were written by peft 0.4). ``train_it.py`` checkpoints leave out the frozen
LLM weights: loading them reports exactly those keys missing, which the model fills from
its ``llm`` config (``pretrained``).
"""
from __future__ import annotations

import re

import torch

from mmvideofm.checkpoint import register_converter
from mmvideofm.models.llm.peft import upgrade_peft_keys

__all__ = ['convert_videochat2', 'detect_stage', 'StageMismatchError', 'check_stage']

_LORA = re.compile(r'^(?P<base>.+)\.lora_[AB]\.default\.weight$')


class StageMismatchError(ValueError):
    """A checkpoint of one VideoChat2 stage loaded into a model of another."""


def detect_stage(sd: dict[str, torch.Tensor]) -> int:
    """1, 2 or 3 from signature keys (see the module docstring)."""
    keys = list(sd)
    if any(k.startswith(('vision_temp_embed', 'itm_head.')) or k == 'temp' for k in keys):
        return 1
    if any('.lora_A.' in k for k in keys):
        return 3
    if any(k.startswith(('llama_proj.', 'mistral_proj.', 'llama_model.', 'mistral_model.',
                         'llm_proj.', 'llm.model.')) for k in keys):
        return 2
    raise ValueError('not a VideoChat2 checkpoint: none of vision_temp_embed/itm_head '
                     '(stage 1), llama_proj/mistral_proj (stage 2) or LoRA keys (stage 3)')


def check_stage(sd: dict[str, torch.Tensor], model_stage: int, model_name: str) -> None:
    """Refuse a later stage's checkpoint in an earlier stage's model (and stage 1 <-> 2/3)."""
    stage = detect_stage(sd)
    if stage == model_stage or (stage < model_stage and model_stage > 1 and stage > 1):
        return
    if model_stage > 1 and stage == 1:
        return  # stage 1 -> stage 2: vision encoder + Q-Former are taken (strict=False)
    raise StageMismatchError(
        f'this is a stage-{stage} VideoChat2 checkpoint but {model_name} is the stage-'
        f'{model_stage} model; use the stage-{stage} config '
        f'({"VideoChat2QFormer" if stage == 1 else "VideoChat2"})')


@register_converter('videochat2')
def convert_videochat2(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Official (any stage, Vicuna or Mistral) -> ours."""
    detect_stage(sd)
    out = {}
    for key, value in sd.items():
        new = key
        if new.startswith('vision_encoder.encoder.'):
            new = 'vision_encoder.' + new[len('vision_encoder.encoder.'):]
        elif new in ('query_tokens', 'extra_query_tokens'):
            new = 'qformer.' + new
        for name in ('llama', 'mistral'):
            if new.startswith(f'{name}_model.'):
                new = 'llm.model.' + new[len(f'{name}_model.'):]
            elif new.startswith(f'{name}_proj.'):
                new = 'llm_proj.' + new[len(f'{name}_proj.'):]
        out[new] = value
    prefix = 'llm.model.'
    lora = {m.group('base')[len(prefix):] for k in out
            if k.startswith(prefix) and (m := _LORA.match(k))}
    upgrade_peft_keys(out, prefix, lora)
    return out
