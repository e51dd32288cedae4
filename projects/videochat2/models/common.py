"""Pieces every VideoChat2 stage shares: the Q-Former tokenizer and the vision tower."""
from __future__ import annotations

import torch
from torch import nn

import mmvideofm.models.llm  # noqa: F401  (registers the core QFormer)
from mmvideofm.models.text import build_tokenizer
from mmvideofm.registry import MODELS

from ..converter import StageMismatchError, check_stage

__all__ = ['build_qformer_tokenizer', 'build_qformer', 'VisionTower', 'copy_text_ffn_to_query',
           'register_stage_guard']


def build_qformer_tokenizer(cfg: dict, truncation_side: str = 'right'):
    """BERT tokenizer plus ``[DEC]`` as bos (``init_tokenizer``): ``len`` = vocab + 1."""
    tokenizer = build_tokenizer(cfg)
    tokenizer.add_special_tokens({'bos_token': '[DEC]'})
    tokenizer.truncation_side = truncation_side
    return tokenizer


def build_qformer(cfg: dict, vocab_size: int | None, encoder_width: int) -> nn.Module:
    """The core ``QFormer`` with ``encoder_width`` and (text input) the tokenizer's vocab."""
    cfg = dict(cfg)
    bert = dict(cfg.pop('bert_config'))
    if vocab_size is not None:
        bert['vocab_size'] = vocab_size  # official resize_token_embeddings(len(tokenizer))
    return MODELS.build(dict(type='QFormer', bert_config=bert, encoder_width=encoder_width,
                             **{k: v for k, v in cfg.items() if k != 'type'}))


@torch.no_grad()
def copy_text_ffn_to_query(qformer: nn.Module) -> None:
    """Official init: every ``*_query`` FFN parameter starts as a copy of the text FFN's."""
    for layer in qformer.bert.encoder.layer:
        if hasattr(layer, 'intermediate') and not layer.intermediate.dense.weight.is_meta:
            layer.intermediate_query.load_state_dict(layer.intermediate.state_dict())
            layer.output_query.load_state_dict(layer.output.state_dict())


class VisionTower:
    """``vision_encoder`` -> (B, T, L, C) tokens; mixin of the stage models."""

    vision_encoder: nn.Module
    freeze_vision_encoder: bool

    def encode_frames(self, video: torch.Tensor) -> torch.Tensor:
        """``(B, C, T, H, W)`` -> ViT tokens ``(B, T, h*w, C)`` (T == 1: ``img_pos_embed``)."""
        if video.ndim != 5:
            raise ValueError(f'VideoChat2 takes clips (B, C, T, H, W); got {tuple(video.shape)}'
                             ' (an image is a clip with T = 1)')
        ctx = torch.no_grad() if self.freeze_vision_encoder else torch.enable_grad()
        with ctx:
            tokens = self.vision_encoder(video)
        return tokens.view(video.shape[0], video.shape[2], -1, tokens.shape[-1])


def register_stage_guard(model: nn.Module, stage: int) -> None:
    """Refuse (clear error naming both stages) a checkpoint of another VideoChat2 stage that
    this model cannot take, whichever loader is used (``load_state_dict``, mmengine)."""
    def hook(module, state_dict, prefix, *args, **kwargs):
        own = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
        try:
            check_stage(own, stage, type(module).__name__)
        except StageMismatchError:
            raise
        except ValueError:  # not a VideoChat2 state dict (a part of one): nothing to check
            pass
    model._register_load_state_dict_pre_hook(hook, with_module=True)
