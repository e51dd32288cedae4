"""Harvest's fusion decoder: the CoCa-style ``CaptionDecoder`` of InternVideo1's ``CoTrain``.

Learnable queries attention-pool the video tokens (multi-query cross-attention), then each
layer is a causal parallel attention / SwiGLU block with rotary positions followed by a
cross-attention to the pooled queries, and an MLP head predicts the vocabulary. Harvest runs
the masked text through it (MLM: every position predicts its own token) and, behind config,
the shifted clean text (captioning). Parameter names are the official ones (lucidrains'
CoCa-pytorch layout: ``visual_queries``, ``visual_attn_pooler.*``, ``multimodal_layers.i.{0,1}
.fn.*``, ``predictor.*``), so ``caption_decoder.*`` of an official checkpoint loads as is.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mmvideofm.registry import MODELS

__all__ = ['HarvestFusionDecoder', 'CoCaLayerNorm', 'MultiQueryCrossAttention',
           'ParallelTransformerBlock']


class CoCaLayerNorm(nn.Module):
    """LayerNorm with a learnable ``gamma`` and a fixed zero ``beta`` buffer (in the
    state dict, as official)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))
        self.register_buffer('beta', torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, x.shape[-1:], self.gamma, self.beta)


class SwiGLU(nn.Module):
    """``(x, gate) = chunk(2)`` -> ``silu(gate) * x``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, gate = x.chunk(2, dim=-1)
        return F.silu(gate) * x


class RotaryEmbedding(nn.Module):
    """Rotary table ``cat(freqs, freqs)`` over positions (``inv_freq`` is persistent)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer('inv_freq', 1.0 / (10000**(torch.arange(0, dim, 2).float() / dim)))

    def forward(self, n: int) -> torch.Tensor:
        pos = torch.arange(n, device=self.inv_freq.device, dtype=self.inv_freq.dtype)
        freqs = torch.outer(pos, self.inv_freq)
        return torch.cat((freqs, freqs), dim=-1)  # (n, dim)


def apply_rotary(pos: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Rotate ``t`` by the table ``pos``; the halves (not interleaved pairs) are rotated."""
    x1, x2 = t.chunk(2, dim=-1)
    return t * pos.cos() + torch.cat((-x2, x1), dim=-1) * pos.sin()


def _attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
            mask: torch.Tensor | None = None) -> torch.Tensor:
    """Multi-query attention: ``q`` ``(B, h, i, d)`` (already scaled), one shared ``k`` / ``v``
    head ``(B, j, d)``; ``mask`` True = blocked (filled with ``-finfo.max``, not -inf)."""
    sim = torch.einsum('bhid,bjd->bhij', q, k)
    if mask is not None:
        sim = sim.masked_fill(mask, -torch.finfo(sim.dtype).max)
    sim = sim - sim.amax(dim=-1, keepdim=True).detach()
    out = torch.einsum('bhij,bjd->bhid', sim.softmax(dim=-1), v)
    return out.transpose(1, 2).flatten(2)  # (B, i, h*d)


class ParallelTransformerBlock(nn.Module):
    """Causal self-attention (rotary q/k, one k/v head) and a SwiGLU FF computed in
    parallel from one fused projection (PaLM-style)."""

    def __init__(self, dim: int, dim_head: int, heads: int, ff_mult: int = 4) -> None:
        super().__init__()
        self.heads, self.scale = heads, dim_head**-0.5
        ff_inner = dim * ff_mult
        self.fused_dims = (dim_head * heads, dim_head, dim_head, ff_inner * 2)
        self.norm = CoCaLayerNorm(dim)
        self.rotary_emb = RotaryEmbedding(dim_head)
        self.fused_attn_ff_proj = nn.Linear(dim, sum(self.fused_dims), bias=False)
        self.attn_out = nn.Linear(dim_head * heads, dim, bias=False)
        self.ff_out = nn.Sequential(SwiGLU(), nn.Linear(ff_inner, dim, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, n, _ = x.shape
        q, k, v, ff = self.fused_attn_ff_proj(self.norm(x)).split(self.fused_dims, dim=-1)
        q = q.view(B, n, self.heads, -1).transpose(1, 2)  # (B, h, n, d)
        pos = self.rotary_emb(n)
        q, k = apply_rotary(pos, q) * self.scale, apply_rotary(pos, k)
        causal = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(1)
        return self.attn_out(_attend(q, k, v, causal)) + self.ff_out(ff)


class MultiQueryCrossAttention(nn.Module):
    """Queries ``x`` attend to ``context`` through one shared k/v head; optional context
    norm (the pooler) and a parallel SwiGLU FF on the normed queries (decoder layers)."""

    def __init__(self, dim: int, dim_head: int, heads: int, context_dim: int | None = None,
                 norm_context: bool = False, parallel_ff: bool = False,
                 ff_mult: int = 4) -> None:
        super().__init__()
        context_dim = context_dim or dim
        self.heads, self.scale = heads, dim_head**-0.5
        self.norm = CoCaLayerNorm(dim)
        self.context_norm = CoCaLayerNorm(context_dim) if norm_context else nn.Identity()
        self.to_q = nn.Linear(dim, dim_head * heads, bias=False)
        self.to_kv = nn.Linear(context_dim, dim_head * 2, bias=False)
        self.to_out = nn.Linear(dim_head * heads, dim, bias=False)
        self.ff = nn.Sequential(nn.Linear(dim, dim * ff_mult * 2, bias=False), SwiGLU(),
                                nn.Linear(dim * ff_mult, dim, bias=False)) if parallel_ff \
            else None

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        B, n, _ = x.shape
        x = self.norm(x)
        q = self.to_q(x).view(B, n, self.heads, -1).transpose(1, 2) * self.scale
        k, v = self.to_kv(self.context_norm(context)).chunk(2, dim=-1)
        out = self.to_out(_attend(q, k, v))
        return out + self.ff(x) if self.ff is not None else out


class Residual(nn.Module):
    """``fn(x, *args) + x`` (the official wrapper: its module is ``.fn``)."""

    def __init__(self, fn: nn.Module) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor, *args) -> torch.Tensor:
        return self.fn(x, *args) + x


@MODELS.register_module()
class HarvestFusionDecoder(nn.Module):
    """Video-conditioned text decoder with a vocabulary head (official ``CaptionDecoder``).

    Args:
        n_layers: Decoder layers (official ``clip_cap_decoder_n_layers`` = 4).
        transformer_width: Text width ``Wt``.
        vision_width: Video token width ``Wv``.
        transformer_heads: Query heads (official ``Wt // 64``); ``dim_head = Wt // heads``.
        vocab_size: Output vocabulary (49408 for CLIP BPE).
        num_visual_queries: Learnable pooling queries (256).
    """

    def __init__(self, n_layers: int = 4, transformer_width: int = 512,
                 vision_width: int = 768, transformer_heads: int = 8,
                 vocab_size: int = 49408, num_visual_queries: int = 256) -> None:
        super().__init__()
        width, dim_head = transformer_width, transformer_width // transformer_heads
        self.visual_queries = nn.Parameter(width**-0.5 * torch.randn(num_visual_queries, width))
        self.visual_attn_pooler = MultiQueryCrossAttention(
            width, dim_head, transformer_heads, context_dim=vision_width, norm_context=True)
        self.visual_pooler_norm = nn.LayerNorm(width)
        self.text_norm = nn.LayerNorm(width)
        self.multimodal_layers = nn.ModuleList([nn.ModuleList([
            Residual(ParallelTransformerBlock(width, dim_head, transformer_heads)),
            Residual(MultiQueryCrossAttention(width, dim_head, transformer_heads,
                                              parallel_ff=True))]) for _ in range(n_layers)])
        self.predictor = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.GELU(),
                                       nn.LayerNorm(width), nn.Linear(width, vocab_size))

    def pool_video(self, video_tokens: torch.Tensor) -> torch.Tensor:
        """``(L, B, T, Wv)`` video tokens -> pooled queries ``(B, Q, Wt)``.

        Tokens are flattened token-major / frame-minor (index ``l * T + t``), as official.
        """
        tokens = video_tokens.permute(1, 0, 2, 3).flatten(1, 2)  # (B, L*T, Wv)
        queries = self.visual_queries.expand(tokens.shape[0], -1, -1)
        return self.visual_pooler_norm(self.visual_attn_pooler(queries, tokens))

    def forward_features(self, video_tokens: torch.Tensor, text_embeds: torch.Tensor
                         ) -> torch.Tensor:
        """Fused text features ``(B, n, Wt)`` (before the vocabulary head)."""
        pooled = self.pool_video(video_tokens)
        x = self.text_norm(text_embeds)
        for self_attn_ff, cross_attn in self.multimodal_layers:
            x = cross_attn(self_attn_ff(x), pooled)
        return x

    def forward(self, video_tokens: torch.Tensor, text_embeds: torch.Tensor) -> torch.Tensor:
        """Vocabulary logits ``(B, n, V)`` of text features ``(B, n, Wt)`` given the video."""
        return self.predictor(self.forward_features(video_tokens, text_embeds))
