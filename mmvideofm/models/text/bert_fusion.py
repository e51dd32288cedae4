"""BERT fusion encoder (ALBEF / UMT ``xbert``): BERT whose top layers cross-attend to video.

Parameter names are the official ones (``bert.embeddings``, ``bert.encoder.layer.i.
{attention,crossattention,intermediate,output}``, ``cls.predictions``): layers
``< fusion_layer`` encode text alone (``mode='text'``), layers ``>= fusion_layer`` also attend
to the video tokens (``mode='fusion'``). UMT B/16 uses BERT-base with fusion layer 9, L/16
BERT-large with fusion layer 19. The sub-modules are transformers' own (``BertAttention``,
``BertIntermediate``, ``BertOutput``); only the layer that strings them together is ours.
"""
from __future__ import annotations

import torch
from torch import nn
from transformers import BertConfig, BertForMaskedLM
from transformers.models.bert.modeling_bert import BertAttention

from mmvideofm.registry import MODELS

__all__ = ['BertFusionEncoder', 'BertFusionLayer', 'extended_attention_mask']


def extended_attention_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``(B, L)`` 1 = keep -> additive ``(B, 1, 1, L)`` mask (0 or the dtype's minimum)."""
    mask = mask[:, None, None, :].to(dtype)
    return (1.0 - mask) * torch.finfo(dtype).min


class BertFusionLayer(nn.Module):
    """Self-attention -> (cross-attention to the video) -> feed-forward, BERT's modules.

    Args:
        attention / intermediate / output: A ``BertLayer``'s modules (official names).
        crossattention: ``BertAttention(is_cross_attention=True)`` for a fusion layer.
    """

    def __init__(self, attention: nn.Module, intermediate: nn.Module, output: nn.Module,
                 crossattention: nn.Module | None = None) -> None:
        super().__init__()
        self.attention = attention
        if crossattention is not None:
            self.crossattention = crossattention
        self.intermediate = intermediate
        self.output = output

    @property
    def is_fusion(self) -> bool:
        return hasattr(self, 'crossattention')

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor,
                vision: torch.Tensor | None = None,
                vision_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``hidden`` ``(B, L, D)``; masks are additive (:func:`extended_attention_mask`)."""
        out, _ = self.attention(hidden, attention_mask)
        if self.is_fusion:
            if vision is None:
                raise ValueError('fusion layers need the video tokens (vision_embeds)')
            out, _ = self.crossattention(out, None, vision, vision_mask)
        return self.output(self.intermediate(out), out)  # feed-forward + residual + LN


@MODELS.register_module()
class BertFusionEncoder(nn.Module):
    """BERT masked-LM whose top layers fuse video tokens through cross-attention.

    Args:
        config: ``BertConfig`` kwargs (built locally: nothing is downloaded), or a
            ``BertConfig``. Official: BERT-base (``config_bert.json``), BERT-large.
        fusion_layer: First layer with cross-attention (9 for BERT-base, 19 for -large).
        pretrained: Optional local path / cached hub name for
            ``BertForMaskedLM.from_pretrained`` (text weights only; cross-attention stays
            freshly initialised).
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
        self.cls = mlm.cls  # MLM head; decoder tied to bert.embeddings.word_embeddings
        layers = self.bert.encoder.layer
        for i, layer in enumerate(layers):
            cross = None
            if i >= fusion_layer:
                cross = BertAttention(self.config, is_cross_attention=True)
                cross.apply(mlm._init_weights)
            layers[i] = BertFusionLayer(layer.attention, layer.intermediate, layer.output, cross)

    @property
    def width(self) -> int:
        return self.config.hidden_size

    @property
    def pooled_dim(self) -> int:
        """Width of :meth:`pool`'s output (the hidden size)."""
        return self.config.hidden_size

    @property
    def vocab_size(self) -> int:
        return self.config.vocab_size

    def _run_layers(self, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int,
                    end: int, vision: torch.Tensor | None = None,
                    vision_mask: torch.Tensor | None = None) -> torch.Tensor:
        ext = extended_attention_mask(attention_mask, hidden.dtype)
        ext_v = None if vision_mask is None else extended_attention_mask(vision_mask,
                                                                         hidden.dtype)
        for layer in self.bert.encoder.layer[start:end]:
            hidden = layer(hidden, ext, vision, ext_v)
        return hidden

    def forward_text(self, input_ids: torch.Tensor, attention_mask: torch.Tensor
                     ) -> torch.Tensor:
        """``mode='text'``: embeddings + layers below ``fusion_layer`` -> ``(B, L, D)``."""
        hidden = self.bert.embeddings(input_ids=input_ids)
        return self._run_layers(hidden, attention_mask, 0, self.fusion_layer)

    def pool(self, hidden: torch.Tensor, input_ids: torch.Tensor | None = None
             ) -> torch.Tensor:
        """The sentence feature: the [CLS] token ``(B, D)``."""
        return hidden[:, 0]

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
