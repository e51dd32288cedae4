"""The LLM side VideoChat2 needs from transformers: a causal LM from a local folder or a
config dict, token ids of a text, and stopping on the decoded separator.

Stopping on the decoded text covers every way a tokenizer can split the separator (LLaMA
writes ``###`` as ``▁###`` or ``##`` + ``#``: the official ids 835 and 2277, 29937) without
hard-coding ids.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from transformers import AutoConfig, AutoModelForCausalLM, StoppingCriteria, StoppingCriteriaList

__all__ = ['build_causal_lm', 'text_ids', 'decode', 'stop_criteria', 'StopOnText']


def build_causal_lm(cfg: dict) -> nn.Module:
    """``dict(config=dict(model_type='llama', ...))`` (random init, nothing read) or
    ``dict(pretrained='<local folder>', torch_dtype='float16')``; eager attention."""
    cfg = dict(cfg)
    attn = cfg.pop('attn_implementation', 'eager')
    if 'pretrained' in cfg:
        dtype = cfg.pop('torch_dtype', None)
        dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
        return AutoModelForCausalLM.from_pretrained(cfg.pop('pretrained'), dtype=dtype,
                                                    attn_implementation=attn, **cfg)
    if 'config' not in cfg:
        raise ValueError("llm needs 'config' (a dict with model_type) or 'pretrained' (a "
                         f'local folder), got {sorted(cfg)}')
    config = dict(cfg.pop('config'))
    model_type = config.pop('model_type', 'llama')
    return AutoModelForCausalLM.from_config(AutoConfig.for_model(model_type, **config),
                                            attn_implementation=attn)


def text_ids(tokenizer, text: str, bos: bool = False) -> list[int]:
    """Ids of ``text`` without special tokens (``bos``: BOS first), for a SentencePiece
    tokenizer (``.sp``) or a transformers one."""
    sp = getattr(tokenizer, 'sp', None)
    ids = list(sp.encode(text)) if sp is not None else \
        list(tokenizer(text, add_special_tokens=False)['input_ids'])
    return [tokenizer.bos_token_id] + ids if bos else ids


def decode(tokenizer, ids: Sequence[int]) -> str:
    """Decode with special tokens kept as text (``</s>``), as the slow LLaMA tokenizer."""
    sp = getattr(tokenizer, 'sp', None)
    if sp is None:
        return tokenizer.decode(list(ids), skip_special_tokens=False)
    out, run = [], []
    for i in ids:
        if sp.is_control(int(i)):
            out.append(sp.decode(run) + sp.id_to_piece(int(i)))
            run = []
        else:
            run.append(int(i))
    return ''.join(out) + sp.decode(run)


class StopOnText(StoppingCriteria):
    """Stop when the decoded new tokens of row 0 end with a stop string (the notebook checks
    row 0 only)."""

    def __init__(self, tokenizer, stop_strings: Sequence[str], prompt_len: int = 0) -> None:
        self.tokenizer, self.stop_strings = tokenizer, tuple(s for s in stop_strings if s)
        self.prompt_len = prompt_len

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs
                 ) -> torch.BoolTensor:
        text = decode(self.tokenizer, input_ids[0, self.prompt_len:].tolist())
        done = any(text.endswith(s) for s in self.stop_strings)
        return torch.full((input_ids.shape[0], ), done, dtype=torch.bool,
                          device=input_ids.device)


def stop_criteria(tokenizer, stop_strings: Sequence[str]) -> StoppingCriteriaList:
    return StoppingCriteriaList([StopOnText(tokenizer, stop_strings)])
