"""SEINE's temporal attention: attention over frames at each spatial position, with rotary
position embedding on the first 32 channels of every head and a T5 relative position bias."""
from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ['RotaryEmbedding', 'RelativePositionBias', 'TemporalAttention',
           'relative_position_bucket']


class RotaryEmbedding(nn.Module):
    """Rotary embedding over the frame axis (``rotary-embedding-torch`` 0.3.5 semantics).

    Frequencies ``1 / 10000**(2i / dim)`` (``i < dim / 2``), each used for an adjacent
    channel pair; only the first ``dim`` channels of a head rotate. One instance is shared
    by every temporal attention of the UNet (as in the official code). The frequencies are a
    fixed buffer (not saved: the converter checks the official ``rotary_emb.freqs``).
    """

    def __init__(self, dim: int = 32, theta: float = 10000.) -> None:
        super().__init__()
        self.dim = dim
        freqs = 1. / (theta ** (torch.arange(0, dim, 2)[:dim // 2].float() / dim))
        self.register_buffer('freqs', freqs, persistent=False)

    def angles(self, num_frames: int, device: torch.device) -> torch.Tensor:
        """(F, dim) angle table ``pos * freq`` with each frequency repeated for a pair."""
        pos = torch.arange(num_frames, device=device, dtype=self.freqs.dtype)
        angles = pos[:, None] * self.freqs.to(device)[None]
        return angles.repeat_interleave(2, dim=-1)

    def rotate(self, x: torch.Tensor) -> torch.Tensor:
        """Rotate (..., F, D) along F; channels ``dim..D-1`` pass unchanged."""
        angles = self.angles(x.shape[-2], x.device).to(x.dtype)
        rot, rest = x[..., :self.dim], x[..., self.dim:]
        pairs = rot.unflatten(-1, (-1, 2))
        half = torch.stack((-pairs[..., 1], pairs[..., 0]), dim=-1).flatten(-2)
        return torch.cat((rot * angles.cos() + half * angles.sin(), rest), dim=-1)


def relative_position_bucket(relative_position: torch.Tensor, num_buckets: int = 32,
                             max_distance: int = 32) -> torch.Tensor:
    """T5 bidirectional buckets of ``key - query`` offsets (exact below ``num_buckets/4``,
    logarithmic up to ``max_distance``)."""
    n = -relative_position
    half = num_buckets // 2
    bucket = (n < 0).long() * half
    n = n.abs()
    max_exact = half // 2
    large = max_exact + (torch.log(n.float() / max_exact) / math.log(max_distance / max_exact)
                         * (half - max_exact)).long()
    large = torch.clamp(large, max=half - 1)
    return bucket + torch.where(n < max_exact, n, large)


class RelativePositionBias(nn.Module):
    """Learned per-head bias of the frame offset (key ``relative_attention_bias``)."""

    def __init__(self, heads: int = 8, num_buckets: int = 32, max_distance: int = 32) -> None:
        super().__init__()
        self.num_buckets = num_buckets
        self.max_distance = max_distance
        self.relative_attention_bias = nn.Embedding(num_buckets, heads)

    def forward(self, num_frames: int, device: torch.device | None = None) -> torch.Tensor:
        """(heads, F, F) bias added to the attention logits."""
        device = device or self.relative_attention_bias.weight.device
        pos = torch.arange(num_frames, dtype=torch.long, device=device)
        rel = pos[None, :] - pos[:, None]  # key minus query
        bucket = relative_position_bucket(rel, self.num_buckets, self.max_distance)
        return self.relative_attention_bias(bucket).permute(2, 0, 1)


class TemporalAttention(nn.Module):
    """Self-attention over frames (``attn_temp``): q/k/v without bias, RoPE on q and k,
    ``+ time_rel_pos_bias``, softmax, ``to_out`` (zero-initialised weight).

    Input and output (N, F, query_dim), N = batch * spatial positions.
    """

    def __init__(self, query_dim: int, heads: int = 8, dim_head: int = 64,
                 rotary_emb: RotaryEmbedding | None = None, bias: bool = False,
                 dropout: float = 0., max_distance: int = 32) -> None:
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.scale = dim_head ** -0.5
        self.to_q = nn.Linear(query_dim, inner, bias=bias)
        self.to_k = nn.Linear(query_dim, inner, bias=bias)
        self.to_v = nn.Linear(query_dim, inner, bias=bias)
        self.to_out = nn.ModuleList([nn.Linear(inner, query_dim), nn.Dropout(dropout)])
        nn.init.zeros_(self.to_out[0].weight)  # the temporal branch starts as a no-op
        self.time_rel_pos_bias = RelativePositionBias(heads=heads, max_distance=max_distance)
        # shared module, kept out of state_dict()/parameters() through a plain attribute
        self.__dict__['rotary_emb'] = rotary_emb

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, f, _ = x.shape
        q, k, v = (proj(x).unflatten(-1, (self.heads, -1)).transpose(1, 2)
                   for proj in (self.to_q, self.to_k, self.to_v))  # (N, h, F, d)
        q = q * self.scale
        if self.rotary_emb is not None:
            q, k = self.rotary_emb.rotate(q), self.rotary_emb.rotate(k)
        logits = q @ k.transpose(-1, -2) + self.time_rel_pos_bias(f, x.device).to(q.dtype)
        logits = logits - logits.amax(dim=-1, keepdim=True).detach()
        out = logits.softmax(dim=-1) @ v  # (N, h, F, d)
        out = out.transpose(1, 2).flatten(2)
        return self.to_out[1](self.to_out[0](out))
