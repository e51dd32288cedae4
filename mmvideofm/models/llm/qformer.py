"""Q-Former (BLIP-2 https://arxiv.org/abs/2301.12597, instruction-aware as InstructBLIP
https://arxiv.org/abs/2305.06500): learned queries read a video through cross-attention.

The official key names (Ask-Anything ``models/blip2/Qformer.py``): ``bert.embeddings.{
word_embeddings, position_embeddings, LayerNorm, position_ids}``, ``bert.encoder.layer.i.{
attention, crossattention (every ``cross_attention_freq``-th layer), intermediate, output,
intermediate_query, output_query}`` and, for the caption loss, ``cls.predictions``; the learned
``query_tokens`` (+ VideoChat's ``extra_query_tokens``) sit beside ``bert`` (officially they
are attributes of the video-LLM: map ``query_tokens`` -> ``qformer.query_tokens``). The
attention, FFN and MLM-head modules are transformers' BERT ones; the layer that routes query
positions through cross-attention and the query FFN, and text positions through the text FFN,
is ours.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint
from transformers import BertConfig
from transformers.models.bert.modeling_bert import (
    BertAttention,
    BertIntermediate,
    BertOnlyMLMHead,
    BertOutput,
)

from mmvideofm.models.layers import DropPath
from mmvideofm.registry import MODELS

__all__ = ['QFormer', 'QFormerLayer', 'qformer_attention_mask']

#: the official additive mask value (``(1 - mask) * -10000.0``), not the dtype minimum
MASK_VALUE = -10000.0


def qformer_attention_mask(mask: torch.Tensor, query_length: int, causal_text: bool = False
                           ) -> torch.Tensor:
    """``(B, L)`` keep-mask over ``[queries; text]`` -> additive ``(B, 1, L|1, L)`` mask.

    Bidirectional (``causal_text=False``): every position sees every kept position (the
    instruction-aware Q-Former, VTM). ``causal_text=True`` (caption / VTG loss): queries see
    only queries, text sees all queries and the text up to itself.
    """
    mask = mask.float()
    if not causal_text:
        return (1.0 - mask[:, None, None, :]) * MASK_VALUE
    length = mask.shape[1]
    rows = torch.ones(length, length, device=mask.device).tril()
    rows[:, :query_length] = 1.0  # everyone sees the queries ...
    rows[:query_length, query_length:] = 0.0  # ... queries never see the text
    full = rows[None] * mask[:, None, :]  # (B, L, L)
    return (1.0 - full[:, None]) * MASK_VALUE


def _add_drop_path(output: nn.Module, drop_path: float) -> None:
    """Official ``BertSelfOutput`` / ``BertOutput``: dense -> dropout -> drop path -> LN(+res).

    transformers' modules have no drop path: it joins their (parameter-free) dropout.
    """
    if drop_path > 0:
        output.dropout = nn.Sequential(output.dropout, DropPath(drop_path))


class QFormerLayer(nn.Module):
    """Self-attention over ``[queries; text]``, then for the query positions cross-attention
    to the video (if this layer has it) and the query FFN; text positions take the text FFN.

    Args:
        config: BERT config (``hidden_size`` etc.).
        encoder_width: Width of the video tokens (cross-attention key/value input).
        has_cross_attention: Whether this layer cross-attends.
        text_input: Keep the text FFN (``intermediate`` / ``output``); VideoChat2 without
            instruction input drops it.
        drop_path: Stochastic depth of this layer (official ``drop_path_list[i]``).
    """

    def __init__(self, config: BertConfig, encoder_width: int, has_cross_attention: bool,
                 text_input: bool = True, drop_path: float = 0.0) -> None:
        super().__init__()
        self.attention = BertAttention(config)
        _add_drop_path(self.attention.output, drop_path)
        if has_cross_attention:
            self.crossattention = BertAttention(config, is_cross_attention=True)
            inner = self.crossattention.self
            inner.key = nn.Linear(encoder_width, inner.all_head_size)
            inner.value = nn.Linear(encoder_width, inner.all_head_size)
            _add_drop_path(self.crossattention.output, drop_path)
        if text_input:
            self.intermediate = BertIntermediate(config)
            self.output = BertOutput(config)
            _add_drop_path(self.output, drop_path)
        self.intermediate_query = BertIntermediate(config)
        self.output_query = BertOutput(config)
        _add_drop_path(self.output_query, drop_path)

    @property
    def has_cross_attention(self) -> bool:
        return hasattr(self, 'crossattention')

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor, query_length: int,
                vision: torch.Tensor | None = None,
                vision_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``hidden`` ``(B, Lq + Lt, D)``; masks additive; ``vision`` ``(B, N, encoder_width)``."""
        out, _ = self.attention(hidden, attention_mask)
        if query_length == 0:
            return self.output(self.intermediate(out), out)
        query = out[:, :query_length]
        if self.has_cross_attention:
            if vision is None:
                raise ValueError('Q-Former cross-attention layers need the video tokens '
                                 '(vision_embeds) when queries are given')
            query, _ = self.crossattention(query, None, vision, vision_mask)
        query = self.output_query(self.intermediate_query(query), query)
        if out.shape[1] == query_length:
            return query
        text = out[:, query_length:]
        return torch.cat([query, self.output(self.intermediate(text), text)], dim=1)


class QFormerEmbeddings(nn.Module):
    """LayerNorm(cat(queries, word + absolute position embeddings of the text)).

    Queries get no position embedding; text positions start at 0. Without text input only
    the LayerNorm (and dropout) remain, applied to the queries.
    """

    def __init__(self, config: BertConfig, text_input: bool = True) -> None:
        super().__init__()
        if text_input:
            self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size,
                                                padding_idx=config.pad_token_id)
            self.position_embeddings = nn.Embedding(config.max_position_embeddings,
                                                    config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        # persistent as in the official module (a checkpoint carries it)
        self.register_buffer('position_ids',
                             torch.arange(config.max_position_embeddings)[None])

    def forward(self, input_ids: torch.Tensor | None = None,
                query_embeds: torch.Tensor | None = None) -> torch.Tensor:
        parts = [] if query_embeds is None else [query_embeds]
        if input_ids is not None:
            if not hasattr(self, 'word_embeddings'):
                raise ValueError('this Q-Former was built with text_input=False; it takes no '
                                 'text (pass only queries, or build it with text_input=True)')
            length = input_ids.shape[1]
            if length > self.position_ids.shape[1]:
                raise ValueError(f'text of {length} tokens exceeds the Q-Former\'s '
                                 f'{self.position_ids.shape[1]} positions; truncate it '
                                 f'(max_txt_len) first')
            pos = self.position_embeddings(self.position_ids[:, :length])
            parts.append(self.word_embeddings(input_ids) + pos)
        return self.dropout(self.LayerNorm(torch.cat(parts, dim=1)))


class _QFormerEncoder(nn.Module):
    def __init__(self, layers: list[QFormerLayer]) -> None:
        super().__init__()
        self.layer = nn.ModuleList(layers)


class _QFormerBert(nn.Module):
    def __init__(self, embeddings: QFormerEmbeddings, encoder: _QFormerEncoder) -> None:
        super().__init__()
        self.embeddings = embeddings
        self.encoder = encoder


@MODELS.register_module()
class QFormer(nn.Module):
    """Instruction-aware Q-Former: ``num_query_tokens`` (+ ``num_extra_query_tokens``) learned
    queries, optionally with an instruction, cross-attend to video tokens.

    Args:
        bert_config: ``BertConfig`` kwargs or config (bert-base-uncased for the official
            models; ``vocab_size`` = the tokenizer's length, 30523 with ``[DEC]``).
        encoder_width: Width of the video tokens (UMT-L 1024, EVA-g 1408).
        num_query_tokens: Learned queries (32).
        num_extra_query_tokens: VideoChat's zero-initialised extra queries (64; 0 = none).
        cross_attention_freq: Cross-attention in layers ``i % freq == 0`` (2).
        text_input: Instruction / text input (word + position embeddings, text FFN).
        lm_head: Keep the MLM head ``cls`` (decoder tied to the word embeddings), for the
            stage-1 caption (VTG) loss.
        drop_path_rate: Stochastic depth, linear ``0 -> rate`` over layers (0.2).
        query_init_std: Normal init std of ``query_tokens`` (BLIP-2: initializer_range 0.02).
        gradient_checkpointing: Recompute layers in the backward pass while training.
    """

    def __init__(self, bert_config: dict | BertConfig, encoder_width: int = 1024,
                 num_query_tokens: int = 32, num_extra_query_tokens: int = 0,
                 cross_attention_freq: int = 2, text_input: bool = True,
                 lm_head: bool = False, drop_path_rate: float = 0.0,
                 query_init_std: float = 0.02, gradient_checkpointing: bool = False) -> None:
        super().__init__()
        config = BertConfig(**bert_config) if isinstance(bert_config, dict) else bert_config
        config._attn_implementation = 'eager'  # official: explicit softmax(QK^T/sqrt(d) + mask)
        if lm_head and not text_input:
            raise ValueError('lm_head=True needs text_input=True (the MLM head is tied to the '
                             'word embeddings)')
        self.config = config
        self.encoder_width = encoder_width
        self.num_query_tokens = num_query_tokens
        self.num_extra_query_tokens = num_extra_query_tokens
        self.text_input = text_input
        self.gradient_checkpointing = gradient_checkpointing
        width = config.hidden_size
        self.query_tokens = nn.Parameter(torch.zeros(1, num_query_tokens, width))
        nn.init.normal_(self.query_tokens, std=query_init_std)
        if num_extra_query_tokens > 0:
            self.extra_query_tokens = nn.Parameter(torch.zeros(1, num_extra_query_tokens, width))
        num_layers = config.num_hidden_layers
        rates = torch.linspace(0, drop_path_rate, num_layers, device='cpu').tolist() if num_layers else []  # also under torch.device('meta')
        layers = [QFormerLayer(config, encoder_width, i % cross_attention_freq == 0,
                               text_input, rates[i]) for i in range(num_layers)]
        self.bert = _QFormerBert(QFormerEmbeddings(config, text_input), _QFormerEncoder(layers))
        self.apply(self._init_weights)
        if lm_head:
            self.cls = BertOnlyMLMHead(config)
            self.cls.apply(self._init_weights)
            self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight
            self.cls.predictions.decoder.bias = self.cls.predictions.bias

    def _init_weights(self, m: nn.Module) -> None:
        """BERT init: normal(0, initializer_range) weights, zero biases, unit LayerNorm."""
        std = self.config.initializer_range
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=std)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    @property
    def width(self) -> int:
        return self.config.hidden_size

    @property
    def num_output_tokens(self) -> int:
        """Visual tokens handed to the LLM: queries + extra queries."""
        return self.num_query_tokens + self.num_extra_query_tokens

    def query_embeds(self) -> torch.Tensor:
        """``(1, Nq + Ne, D)``: ``cat(query_tokens, extra_query_tokens)``."""
        if self.num_extra_query_tokens:
            return torch.cat([self.query_tokens, self.extra_query_tokens], dim=1)
        return self.query_tokens

    def forward(self, vision_embeds: torch.Tensor | None = None,
                input_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None,
                queries: bool | torch.Tensor = True,
                vision_mask: torch.Tensor | None = None,
                causal_text: bool = False) -> torch.Tensor:
        """Hidden states ``(B, Lq + Lt, D)`` of ``[queries; text]``.

        Args:
            vision_embeds: ``(B, N, encoder_width)`` video tokens (needed with queries).
            input_ids / attention_mask: ``(B, Lt)`` text (instruction, caption) and its mask.
            queries: ``True`` = the learned queries, a ``(B|1, Lq, D)`` tensor, or ``False``
                (text only: the stage-1 text encoder).
            vision_mask: ``(B, N)`` keep-mask of the video tokens (default: all kept).
            causal_text: Caption mode (queries see queries, text sees queries + its past).
        """
        if queries is True:
            queries = self.query_embeds()
        elif queries is False:
            queries = None
        if queries is None and input_ids is None:
            raise ValueError('QFormer needs queries, text (input_ids) or both')
        batch = (input_ids if vision_embeds is None else vision_embeds).shape[0]
        if queries is not None:
            queries = queries.expand(batch, -1, -1)
        query_length = 0 if queries is None else queries.shape[1]
        hidden = self.bert.embeddings(input_ids, queries)
        keep = torch.ones(batch, query_length, dtype=torch.long, device=hidden.device)
        if input_ids is not None:
            text_mask = (torch.ones_like(input_ids) if attention_mask is None
                         else attention_mask.to(keep.dtype))
            keep = torch.cat([keep, text_mask], dim=1)
        mask = qformer_attention_mask(keep, query_length, causal_text).to(hidden.dtype)
        vision_ext = None
        if vision_mask is not None:
            vision_ext = ((1.0 - vision_mask[:, None, None, :].to(hidden.dtype)) * MASK_VALUE)
        for layer in self.bert.encoder.layer:
            if self.gradient_checkpointing and self.training and torch.is_grad_enabled():
                hidden = checkpoint(layer, hidden, mask, query_length, vision_embeds,
                                    vision_ext, use_reentrant=False)
            else:
                hidden = layer(hidden, mask, query_length, vision_embeds, vision_ext)
        return hidden

    def encode_queries(self, vision_embeds: torch.Tensor,
                       input_ids: torch.Tensor | None = None,
                       attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The query outputs ``(B, Nq + Ne, D)`` (the visual tokens for the LLM); with an
        instruction when this Q-Former takes text (InstructBLIP), else queries only."""
        if vision_embeds.shape[-1] != self.encoder_width:
            raise ValueError(f'video tokens are {vision_embeds.shape[-1]} wide but the Q-Former '
                             f'cross-attends to {self.encoder_width} (encoder_width)')
        if not self.text_input:
            input_ids = attention_mask = None
        hidden = self(vision_embeds, input_ids, attention_mask)
        return hidden[:, :self.num_output_tokens]

    def encode_text(self, input_ids: torch.Tensor,
                    attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Text alone ``(B, Lt, D)`` (bidirectional, no queries): the stage-1 text encoder."""
        return self(None, input_ids, attention_mask, queries=False)

    def lm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """MLM / caption head ``cls`` on text hidden states -> ``(B, Lt, vocab)``."""
        if not hasattr(self, 'cls'):
            raise ValueError('this Q-Former has no LM head; build it with lm_head=True')
        return self.cls(hidden)

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        self.gradient_checkpointing = enable
