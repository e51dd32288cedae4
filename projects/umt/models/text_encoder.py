"""UMT's text / fusion encoder: BERT (transformers) with cross-attention from ``fusion_layer``.

Same parameter names as UMT's ``xbert`` (``bert.embeddings``, ``bert.encoder.layer.i.
{attention,crossattention,intermediate,output}``, ``cls.predictions``): layers
``< fusion_layer`` encode text alone (``mode='text'``), layers ``>= fusion_layer`` also attend
to the video tokens (``mode='fusion'``). B/16 uses BERT-base with fusion layer 9, L/16
BERT-large with fusion layer 19.
"""
from __future__ import annotations

import torch
from torch import nn
from transformers import BertConfig, BertForMaskedLM
from transformers.models.bert.modeling_bert import BertAttention

__all__ = ['BertFusionEncoder', 'extended_attention_mask']


def extended_attention_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``(B, L)`` 1 = keep -> additive ``(B, 1, 1, L)`` mask (0 or the dtype's minimum)."""
    mask = mask[:, None, None, :].to(dtype)
    return (1.0 - mask) * torch.finfo(dtype).min


class BertFusionEncoder(nn.Module):
    """BERT masked-LM whose top layers fuse video tokens through cross-attention.

    Args:
        config: ``BertConfig`` kwargs (built locally: nothing is downloaded), or a
            ``BertConfig``. Official: BERT-base (``config_bert.json``), BERT-large.
        fusion_layer: First layer with cross-attention (9 for BERT-base, 19 for -large).
        pretrained: Optional local path / hub name for ``BertForMaskedLM.from_pretrained``
            (text weights only; cross-attention stays freshly initialised).
    """

    def __init__(self, config: dict | BertConfig, fusion_layer: int = 9,
                 pretrained: str | None = None) -> None:
        super().__init__()
        if isinstance(config, dict):
            config = BertConfig(**config)
        config.is_decoder = False
        config.add_cross_attention = False
        if not 0 <= fusion_layer <= config.num_hidden_layers:
            raise ValueError(f'fusion_layer must be in [0, {config.num_hidden_layers}], got '
                             f'{fusion_layer}')
        self.fusion_layer = fusion_layer
        if pretrained:
            mlm = BertForMaskedLM.from_pretrained(pretrained, config=config)
        else:
            mlm = BertForMaskedLM(config)
        self.config = mlm.config
        # official names: ``bert.*`` and ``cls.*`` directly under the text encoder
        self.bert = mlm.bert
        self.cls = mlm.cls  # decoder weight stays tied to bert.embeddings.word_embeddings
        for layer in self.bert.encoder.layer[fusion_layer:]:
            layer.crossattention = BertAttention(self.config, is_cross_attention=True)
            layer.crossattention.apply(mlm._init_weights)

    @property
    def width(self) -> int:
        return self.config.hidden_size

    def _run_layers(self, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int,
                    end: int, vision: torch.Tensor | None = None,
                    vision_mask: torch.Tensor | None = None) -> torch.Tensor:
        ext = extended_attention_mask(attention_mask, hidden.dtype)
        ext_v = extended_attention_mask(vision_mask, hidden.dtype) if vision_mask is not None \
            else None
        for layer in self.bert.encoder.layer[start:end]:
            out, _ = layer.attention(hidden, ext)
            if hasattr(layer, 'crossattention'):
                if vision is None:
                    raise ValueError('fusion layers need the video tokens')
                out, _ = layer.crossattention(out, None, vision, ext_v)
            hidden = layer.feed_forward_chunk(out)
        return hidden

    def forward_text(self, input_ids: torch.Tensor, attention_mask: torch.Tensor
                     ) -> torch.Tensor:
        """``mode='text'``: embeddings + layers below ``fusion_layer`` -> ``(B, L, D)``."""
        hidden = self.bert.embeddings(input_ids=input_ids)
        return self._run_layers(hidden, attention_mask, 0, self.fusion_layer)

    def forward_fusion(self, text_embeds: torch.Tensor, attention_mask: torch.Tensor,
                       vision_embeds: torch.Tensor,
                       vision_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``mode='fusion'``: the remaining layers with cross-attention to ``vision_embeds``."""
        if vision_embeds.shape[-1] != self.width:
            raise ValueError(f'video tokens are {vision_embeds.shape[-1]} wide but the fusion '
                             f'layers expect {self.width} (BERT hidden size)')
        return self._run_layers(text_embeds, attention_mask, self.fusion_layer,
                                self.config.num_hidden_layers, vision_embeds, vision_mask)

    def mlm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Masked-LM head (``cls.predictions``, decoder tied to the word embeddings)."""
        return self.cls(hidden)
