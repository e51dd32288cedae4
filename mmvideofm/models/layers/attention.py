"""The one multi-head self-attention of mmvideofm (VideoMAE / UMT / VideoMAE V2 layout).

Official parameter names: a bias-free fused ``qkv`` Linear plus separate ``q_bias`` / ``v_bias``
(the key bias is zero), ``proj``; the VideoMAE V2 cosine-attention variant adds a per-head
learnable logit ``scale``.
"""
import math
import os
from typing import Final

import torch
import torch.nn.functional as F
from torch import nn

# ln(1 / 0.01): the clamp VideoMAE V2's CosAttention puts on its logit scale.
COS_ATTN_MAX_LOGIT_SCALE = 4.6052


def use_fused_attn() -> bool:
    """Whether to use ``F.scaled_dot_product_attention`` (env ``MMVIDEOFM_FUSED_ATTN=0`` disables)."""
    if os.environ.get('MMVIDEOFM_FUSED_ATTN', '1') == '0':
        return False
    return hasattr(F, 'scaled_dot_product_attention')


class Attention(nn.Module):
    """Multi-head self-attention with q/v biases, SDPA by default.

    The SDPA path and the explicit ``scale -> softmax -> dropout`` path compute the same thing
    (to ~1e-6 at fp32); the explicit path is used when ``fused_attn=False`` or when the
    attention map is requested (``return_attn=True``).

    Args:
        dim: Input / output width.
        num_heads: Number of heads.
        qkv_bias: Add learnable ``q_bias`` and ``v_bias`` (k bias stays zero).
        qk_scale: Override the logit scale (default ``head_dim ** -0.5``; with ``cos_attn``
            a fixed float replaces the learnable ``scale``).
        attn_drop: Dropout on the attention probabilities.
        proj_drop: Dropout after ``proj``.
        attn_head_dim: Per-head width if not ``dim // num_heads`` (VideoMAE option).
        cos_attn: VideoMAE V2 cosine attention: L2-normalised q and k, logits times
            ``exp(clamp(scale, max=ln 100))`` with ``scale`` a ``(num_heads, 1, 1)`` Parameter
            initialised to ``ln 10``.
        fused_attn: Use SDPA; ``None`` follows :func:`use_fused_attn`.
    """

    fused_attn: Final[bool]

    def __init__(self,
                 dim: int,
                 num_heads: int = 8,
                 qkv_bias: bool = False,
                 qk_scale: float | None = None,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.,
                 attn_head_dim: int | None = None,
                 cos_attn: bool = False,
                 fused_attn: bool | None = None) -> None:
        super().__init__()
        self.num_heads = num_heads
        head_dim = attn_head_dim if attn_head_dim is not None else dim // num_heads
        self.head_dim = head_dim
        all_head_dim = head_dim * num_heads
        self.cos_attn = cos_attn
        self.fused_attn = use_fused_attn() if fused_attn is None else bool(fused_attn)
        if cos_attn and qk_scale is None:
            # official name `scale` (VideoMAE V2 excludes `*.scale` from weight decay)
            self.scale = nn.Parameter(torch.full((num_heads, 1, 1), math.log(10.)))
        else:
            self.scale = qk_scale or head_dim**-0.5

        self.qkv = nn.Linear(dim, all_head_dim * 3, bias=False)
        if qkv_bias:
            self.q_bias = nn.Parameter(torch.zeros(all_head_dim))
            self.v_bias = nn.Parameter(torch.zeros(all_head_dim))
        else:
            self.q_bias = None
            self.v_bias = None
        self.attn_drop_rate = float(attn_drop)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(all_head_dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def qkv_bias(self) -> torch.Tensor | None:
        """Effective fused bias ``(q_bias, 0, v_bias)`` or None."""
        if self.q_bias is None:
            return None
        return torch.cat((self.q_bias, torch.zeros_like(self.v_bias), self.v_bias))

    def _logit_scale(self) -> float | torch.Tensor:
        if isinstance(self.scale, torch.Tensor):
            return torch.clamp(self.scale, max=COS_ATTN_MAX_LOGIT_SCALE).exp()  # (H, 1, 1)
        return self.scale

    def forward(self,
                x: torch.Tensor,
                attn_mask: torch.Tensor | None = None,
                return_attn: bool = False
                ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Self-attention over ``x`` (B, N, C).

        Args:
            attn_mask: Optional mask broadcastable to (B, heads, N, N): bool with True =
                may attend (SDPA semantics), or additive float.
            return_attn: Also return the post-softmax attention map (B, heads, N, N)
                (before dropout); forces the explicit path.
        """
        B, N, _ = x.shape
        qkv = F.linear(x, self.qkv.weight, self.qkv_bias())
        qkv = qkv.reshape(B, N, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # (B, H, N, Dh) each
        scale = self._logit_scale()
        if self.cos_attn:
            q = F.normalize(q, dim=-1)
            k = F.normalize(k, dim=-1)

        attn = None
        if self.fused_attn and not return_attn:
            if isinstance(scale, torch.Tensor):  # per-head scale: fold it into q
                q, sdpa_scale = q * scale, 1.0
            else:
                sdpa_scale = scale
            x = F.scaled_dot_product_attention(
                q, k, v, attn_mask=attn_mask,
                dropout_p=self.attn_drop_rate if self.training else 0., scale=sdpa_scale)
        else:
            # same op order as official: cosine logits are scaled after the matmul
            if self.cos_attn:
                attn = (q @ k.transpose(-2, -1)) * scale  # (B, H, N, N)
            else:
                attn = (q * scale) @ k.transpose(-2, -1)
            if attn_mask is not None:
                if attn_mask.dtype == torch.bool:
                    attn = attn.masked_fill(~attn_mask, float('-inf'))
                else:
                    attn = attn + attn_mask
            attn = attn.softmax(dim=-1)
            x = self.attn_drop(attn) @ v
        x = x.transpose(1, 2).reshape(B, N, -1)  # (B, N, H*Dh)
        x = self.proj_drop(self.proj(x))
        if return_attn:
            return x, attn
        return x

    def extra_repr(self) -> str:
        return (f'num_heads={self.num_heads}, head_dim={self.head_dim}, '
                f'cos_attn={self.cos_attn}, fused_attn={self.fused_attn}')
