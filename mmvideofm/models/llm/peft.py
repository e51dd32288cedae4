"""PEFT for the video-LLM core: LoRA (and any ``peft`` method) from a config dict, tuning
switches (frozen / partial / full), and the official checkpoints' peft 0.4 key layout.

VideoChat2 stage 3: LoRA r=16, alpha=32, dropout 0.1 on PEFT's default LLaMA targets
(``q_proj``, ``v_proj``); its Mistral variant targets q, k, v, o, gate, up, down and
``lm_head``. VideoLLM compares frozen, partial (bias / first / last blocks), LoRA, prefix and
prompt tuning: all are a config here.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ['build_peft_config', 'apply_peft', 'set_tuning', 'upgrade_peft_keys',
           'TUNING_MODES']

#: what trains in the LLM: nothing, regex-selected parameters, everything, or only the
#: PEFT adapter (LoRA / prefix / prompt)
TUNING_MODES = ('frozen', 'partial', 'full', 'peft')


def build_peft_config(cfg: dict):
    """A ``peft`` config from a dict.

    ``dict(r=16, alpha=32, dropout=0.1, targets=None)`` (``method='LoRA'``, the default) uses
    the official VideoChat2 names (``targets=None``: PEFT's default modules for the model
    type); any other ``method`` is a ``peft`` config class name (``'PrefixTuningConfig'``,
    ``'PromptTuningConfig'``, ``'LoraConfig'``) taking its own keyword arguments. (``type``
    is accepted for ``method`` in Python; configs use ``method``, since the config checker
    resolves every ``type`` in a registry.)
    """
    import peft
    cfg = dict(cfg)
    kind = cfg.pop('method', None) or cfg.pop('type', 'LoRA')
    if kind == 'LoRA':
        unknown = set(cfg) - {'r', 'alpha', 'dropout', 'targets', 'bias'}
        if unknown:
            raise ValueError(f'unknown LoRA options {sorted(unknown)}; use r, alpha, dropout, '
                             f'targets, bias (or type="LoraConfig" with peft\'s own names)')
        return peft.LoraConfig(r=cfg.get('r', 16), lora_alpha=cfg.get('alpha', 32),
                               lora_dropout=cfg.get('dropout', 0.1),
                               target_modules=cfg.get('targets'), bias=cfg.get('bias', 'none'),
                               task_type='CAUSAL_LM')
    config_cls = getattr(peft, kind, None)
    if config_cls is None or not kind.endswith('Config'):
        raise ValueError(f'unknown PEFT method {kind!r}: use "LoRA" or a peft config class '
                         f'name such as "LoraConfig", "PrefixTuningConfig", '
                         f'"PromptTuningConfig"')
    cfg.setdefault('task_type', 'CAUSAL_LM')
    return config_cls(**cfg)


def apply_peft(model: nn.Module, cfg: dict) -> nn.Module:
    """Wrap a transformers causal LM with ``peft.get_peft_model`` (base weights frozen)."""
    import peft
    return peft.get_peft_model(model, build_peft_config(cfg))


def set_tuning(model: nn.Module, mode: str, trainable: Sequence[str] = ()) -> list[str]:
    """Set ``requires_grad`` of the LLM by ``mode`` (:data:`TUNING_MODES`); returns the names
    of the trainable parameters.

    ``'partial'`` trains the parameters whose name matches one of the ``trainable`` regexes
    (VideoLLM: ``r'\\.bias$'``, ``r'layers\\.0\\.'``, ``r'layers\\.31\\.'``); ``'peft'`` keeps
    what ``peft`` made trainable (adapters, and any ``trainable`` matches on top).
    """
    if mode not in TUNING_MODES:
        raise ValueError(f'unknown tuning mode {mode!r}; use one of {TUNING_MODES}')
    if mode == 'partial' and not trainable:
        raise ValueError("tuning='partial' needs trainable=[regex, ...] (e.g. [r'\\.bias$'])")
    patterns = [re.compile(p) for p in trainable]
    for name, param in model.named_parameters():
        hit = any(p.search(name) for p in patterns)
        if mode == 'full':
            param.requires_grad_(True)
        elif mode == 'peft':
            param.requires_grad_(param.requires_grad or hit)
        else:
            param.requires_grad_(hit)
    return [n for n, p in model.named_parameters() if p.requires_grad]


def upgrade_peft_keys(state: dict[str, torch.Tensor], prefix: str,
                      lora_modules: set[str]) -> None:
    """In place: peft 0.4 keys (official checkpoints) -> the installed peft's layout.

    peft 0.4 kept a LoRA layer's base weight as ``<module>.weight``; current peft nests it as
    ``<module>.base_layer.weight``. ``lora_modules`` are this model's LoRA-wrapped module names
    (relative to ``prefix``). The per-layer ``rotary_emb.inv_freq`` buffers that old LLaMA code
    saved are dropped: transformers recomputes them.
    """
    for key in [k for k in state if k.startswith(prefix)]:
        rel = key[len(prefix):]
        if rel.endswith('rotary_emb.inv_freq') and '.layers.' in rel:
            del state[key]
            continue
        module, _, leaf = rel.rpartition('.')
        if module in lora_modules and leaf in ('weight', 'bias'):
            state[f'{prefix}{module}.base_layer.{leaf}'] = state.pop(key)
