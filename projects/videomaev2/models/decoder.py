"""VideoMAE V2 pixel decoder: visible tokens + mask tokens at the decoder-kept positions."""
from __future__ import annotations

from functools import partial

import torch
import torch.utils.checkpoint as cp
from mmengine.model import BaseModule
from torch import nn

from mmvideofm.models.layers import Block, get_sinusoid_encoding_table
from mmvideofm.registry import MODELS

__all__ = ['VideoMAEv2Decoder']


@MODELS.register_module()
class VideoMAEv2Decoder(BaseModule):
    """The 4-block transformer decoder of VideoMAE V2 (`arXiv:2303.16727`_).

    Official names: ``encoder_to_decoder`` (Linear, no bias), ``mask_token`` ``(1, 1, D)``,
    ``blocks``, ``norm``, ``head`` (-> ``3 * tubelet * p * p`` normalised pixels). The decoder
    position table is the fixed sinusoid over the flattened (t, h, w) grid (not a parameter).

    Input sequence = ``[x_vis + pos[visible], mask_token + pos[decoded]]``; only the decoded
    part is normalised and projected. Encoder-visible positions may also be decoded (the two
    masks are independent); they then appear twice, as in the official model.

    Args:
        encoder_embed_dim: Width of the encoder tokens.
        embed_dim: Decoder width (192 / 384 / 512 for S / B / L,H,g).
        depth: Decoder blocks (4 in VideoMAE V2).
        num_heads: Decoder heads (3 / 6 / 8).
        mlp_ratio: MLP ratio (the encoder's: 4, or 48/11 for ViT-g).
        patch_size: Spatial patch size of the encoder.
        tubelet_size: Temporal patch size.
        in_channels: Channels of the reconstructed video.
        qkv_bias: q/v biases.
        drop_path_rate: Stochastic depth (linearly increasing over blocks).
        init_values: Layer scale init (0 = off).
        norm_eps: LayerNorm epsilon.
        cos_attn: Cosine attention.
        with_cp: Activation checkpointing for every block.
    """

    def __init__(self,
                 encoder_embed_dim: int = 768,
                 embed_dim: int = 384,
                 depth: int = 4,
                 num_heads: int = 6,
                 mlp_ratio: float = 4.,
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 in_channels: int = 3,
                 qkv_bias: bool = True,
                 drop_path_rate: float = 0.,
                 init_values: float = 0.,
                 norm_eps: float = 1e-6,
                 cos_attn: bool = False,
                 with_cp: bool = False,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dim = embed_dim
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.num_outputs = in_channels * tubelet_size * patch_size**2
        self.with_cp = with_cp
        norm_layer = partial(nn.LayerNorm, eps=norm_eps)
        self.encoder_to_decoder = nn.Linear(encoder_embed_dim, embed_dim, bias=False)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        # built on the CPU so that the model can be built under `torch.device('meta')`
        dpr = torch.linspace(0, drop_path_rate, depth, device='cpu').tolist()
        self.blocks = nn.ModuleList([
            Block(embed_dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias,
                  drop_path=dpr[i], init_values=init_values, norm_layer=norm_layer,
                  cos_attn=cos_attn) for i in range(depth)
        ])
        self.norm = norm_layer(embed_dim)
        self.head = nn.Linear(embed_dim, self.num_outputs)
        self._pos_cache: dict[tuple, torch.Tensor] = {}
        self._init_official()

    def _init_official(self) -> None:
        """Xavier-uniform Linear weights, zero biases, unit LayerNorms, mask token N(0, .02)."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.trunc_normal_(self.mask_token, std=.02, a=-.02, b=.02)

    def init_weights(self) -> None:
        if self.init_cfg is not None:
            super().init_weights()

    def pos_embed(self, num_tokens: int, device: torch.device, dtype: torch.dtype
                  ) -> torch.Tensor:
        """Fixed sinusoid table ``(1, N, D)`` for ``num_tokens`` positions (cached)."""
        key = (num_tokens, device, dtype)
        if key not in self._pos_cache:
            self._pos_cache[key] = get_sinusoid_encoding_table(
                num_tokens, self.embed_dim).to(device=device, dtype=dtype)
        return self._pos_cache[key]

    def forward(self, x_vis: torch.Tensor, mask: torch.Tensor,
                decode_mask: torch.Tensor | None = None,
                return_hidden: bool = False):
        """Predict normalised pixels at the decoded positions.

        Args:
            x_vis: Encoder output on visible tokens, ``(B, N_vis, C_enc)`` in raster order.
            mask: Encoder mask ``(B, N)``, True = hidden from the encoder.
            decode_mask: Decoder mask ``(B, N)``, True = not reconstructed; ``None`` decodes
                exactly the encoder-masked tokens (VideoMAE v1).
            return_hidden: Also return the output of every decoder block.
        Returns:
            ``(B, N_dec, 3 * tubelet * p * p)`` in raster order of the decoded positions.
        """
        decode_vis = mask if decode_mask is None else ~decode_mask
        x_vis = self.encoder_to_decoder(x_vis)  # (B, N_vis, D)
        b, _, d = x_vis.shape
        pos = self.pos_embed(mask.shape[1], x_vis.device, x_vis.dtype).expand(b, -1, -1)
        pos_vis = pos[~mask].reshape(b, -1, d)
        pos_dec = pos[decode_vis].reshape(b, -1, d)
        x = torch.cat([x_vis + pos_vis, self.mask_token.to(x_vis.dtype) + pos_dec], dim=1)
        hidden = []
        for blk in self.blocks:
            if self.with_cp and x.requires_grad:
                x = cp.checkpoint(blk, x, use_reentrant=False)
            else:
                x = blk(x)
            hidden.append(x)
        n_dec = pos_dec.shape[1]
        out = self.head(self.norm(x[:, x.shape[1] - n_dec:]))  # (B, N_dec, 3*tub*p*p)
        if return_hidden:
            return out, hidden
        return out
