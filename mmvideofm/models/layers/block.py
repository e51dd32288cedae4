"""Pre-norm transformer block of the VideoMAE / UMT ViTs."""
from functools import partial

import torch
from timm.layers import DropPath
from torch import nn

from .attention import Attention
from .mlp import Mlp


def _layer_scale(x: torch.Tensor, gamma: torch.Tensor | None) -> torch.Tensor:
    return x if gamma is None else x * gamma


class Block(nn.Module):
    """``x + drop_path(gamma_1 * attn(norm1(x)))``, then the same with ``mlp`` / ``norm2``.

    Official names: ``norm1``, ``attn``, ``norm2``, ``mlp``, and layer scale ``gamma_1`` /
    ``gamma_2`` only when ``init_values > 0``. Disabled drop path is ``nn.Identity``.

    Args:
        dim: Token width.
        num_heads: Attention heads.
        mlp_ratio: MLP hidden width = ``int(dim * mlp_ratio)`` (float truncation as official).
        qkv_bias: q/v biases in attention.
        qk_scale: Attention logit scale override.
        drop: Dropout after attention ``proj`` and after ``mlp.fc2``.
        attn_drop: Dropout on attention probabilities.
        drop_path: Stochastic depth rate.
        init_values: Layer-scale init; 0 / None disables it.
        act_layer: MLP activation.
        norm_layer: Norm class (None = LayerNorm eps 1e-6, as official).
        attn_head_dim: Per-head width override.
        cos_attn: VideoMAE V2 cosine attention.
        fused_attn: SDPA switch (None = env default).
        attn_layer: Attention class (same signature as :class:`Attention`).
        mlp_layer: MLP class (same signature as :class:`Mlp`).
    """

    def __init__(self,
                 dim: int,
                 num_heads: int,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = False,
                 qk_scale: float | None = None,
                 drop: float = 0.,
                 attn_drop: float = 0.,
                 drop_path: float = 0.,
                 init_values: float | None = None,
                 act_layer: type[nn.Module] = nn.GELU,
                 norm_layer: type[nn.Module] | None = None,
                 attn_head_dim: int | None = None,
                 cos_attn: bool = False,
                 fused_attn: bool | None = None,
                 attn_layer: type[nn.Module] = Attention,
                 mlp_layer: type[nn.Module] = Mlp) -> None:
        super().__init__()
        norm_layer = norm_layer or partial(nn.LayerNorm, eps=1e-6)
        self.norm1 = norm_layer(dim)
        self.attn = attn_layer(
            dim, num_heads=num_heads, qkv_bias=qkv_bias, qk_scale=qk_scale, attn_drop=attn_drop,
            proj_drop=drop, attn_head_dim=attn_head_dim, cos_attn=cos_attn, fused_attn=fused_attn)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = mlp_layer(
            in_features=dim, hidden_features=int(dim * mlp_ratio), act_layer=act_layer, drop=drop)
        if init_values is not None and init_values > 0:
            self.gamma_1 = nn.Parameter(init_values * torch.ones(dim))
            self.gamma_2 = nn.Parameter(init_values * torch.ones(dim))
        else:
            self.gamma_1, self.gamma_2 = None, None

    def forward(self,
                x: torch.Tensor,
                attn_mask: torch.Tensor | None = None,
                return_attn: bool = False
                ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """``x`` (B, N, C) -> (B, N, C); with ``return_attn`` also the (B, H, N, N) map."""
        if return_attn:
            y, attn = self.attn(self.norm1(x), attn_mask=attn_mask, return_attn=True)
            x = x + self.drop_path(_layer_scale(y, self.gamma_1))
            x = x + self.drop_path(_layer_scale(self.mlp(self.norm2(x)), self.gamma_2))
            return x, attn
        x = x + self.drop_path(_layer_scale(self.attn(self.norm1(x), attn_mask=attn_mask),
                                            self.gamma_1))
        x = x + self.drop_path(_layer_scale(self.mlp(self.norm2(x)), self.gamma_2))
        return x
