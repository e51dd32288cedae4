"""Masked-language-model head: transformers' BERT prediction head built from plain sizes.

BERT towers carry their own (``text_encoder.cls``); this registered form serves text towers
without one (a CLIP text tower with a fusion decoder, Harvest), optionally tied to the
tower's word embeddings.
"""
from __future__ import annotations

import torch
from torch import nn
from transformers import BertConfig
from transformers.models.bert.modeling_bert import BertOnlyMLMHead

from mmvideofm.registry import MODELS

__all__ = ['MLMHead']


@MODELS.register_module()
class MLMHead(BertOnlyMLMHead):
    """Dense -> activation -> LayerNorm -> vocabulary decoder (keys ``predictions.*``).

    Args:
        in_channels: Token width.
        vocab_size: Output vocabulary.
        act: Activation name of transformers (``'gelu'``).
        layer_norm_eps: LayerNorm epsilon (BERT: 1e-12).
    """

    def __init__(self, in_channels: int, vocab_size: int, act: str = 'gelu',
                 layer_norm_eps: float = 1e-12) -> None:
        super().__init__(BertConfig(hidden_size=in_channels, vocab_size=vocab_size,
                                    hidden_act=act, layer_norm_eps=layer_norm_eps))
        nn.init.normal_(self.predictions.transform.dense.weight, std=0.02)
        nn.init.zeros_(self.predictions.transform.dense.bias)
        nn.init.normal_(self.predictions.decoder.weight, std=0.02)

    def tie_to(self, embedding: nn.Embedding) -> None:
        """Share the decoder weight with a word embedding (as BERT does)."""
        if embedding.weight.shape != self.predictions.decoder.weight.shape:
            raise ValueError(f'embedding {tuple(embedding.weight.shape)} does not match the '
                             f'decoder {tuple(self.predictions.decoder.weight.shape)}')
        self.predictions.decoder.weight = embedding.weight

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """``(B, L, D)`` -> vocabulary logits ``(B, L, V)``."""
        return super().forward(hidden)
