"""CLIP text tower with the OpenAI key names, on open_clip's ``TextTransformer``.

Keys: ``token_embedding``, ``positional_embedding``, ``transformer.resblocks.i.*``
(open_clip's ``ResidualAttentionBlock``: fused ``attn.in_proj_*``, ``mlp.c_fc`` /
``mlp.c_proj``), ``ln_final``, ``text_projection`` -- what an OpenAI / open_clip CLIP holds at
the top level and ViCLIP under ``text_encoder.``. A shorter ``context_length`` (ViCLIP: 32)
keeps the first rows of the positional table. Causal attention, pooled at the EOT token.
"""
from __future__ import annotations

import torch
from open_clip.transformer import QuickGELU, TextTransformer, text_global_pool
from torch import nn

from mmvideofm.registry import MODELS

__all__ = ['CLIPTextTransformer']

#: OpenAI CLIP text towers (ViCLIP-B uses B's, ViCLIP-L L's)
CLIP_TEXT_ARCHS = {
    'b': dict(width=512, heads=8, layers=12, output_dim=512),
    'l': dict(width=768, heads=12, layers=12, output_dim=768),
}


@MODELS.register_module()
class CLIPTextTransformer(TextTransformer):
    """open_clip's text transformer with a token-level API for video-text models.

    Args:
        arch: ``'b'`` / ``'l'`` (OpenAI CLIP-B / L text towers) or None for explicit sizes.
        context_length: Positions (77 in CLIP, 32 in ViCLIP).
        vocab_size: 49408 (CLIP BPE).
        width / heads / layers / output_dim: Explicit sizes (override ``arch``).
        quick_gelu: OpenAI's activation (True for OpenAI weights and ViCLIP).
        freeze_token_embedding: Keep ``token_embedding`` fixed (a small tower trained from
            scratch on a few words: its 49408-row table need not be updated every step).
    """

    def __init__(self,
                 arch: str | None = 'b',
                 context_length: int = 77,
                 vocab_size: int = 49408,
                 width: int | None = None,
                 heads: int | None = None,
                 layers: int | None = None,
                 output_dim: int | None = None,
                 quick_gelu: bool = True,
                 freeze_token_embedding: bool = False) -> None:
        if arch is not None and arch not in CLIP_TEXT_ARCHS:
            raise ValueError(f'unknown CLIP text arch {arch!r}; choose one of '
                             f'{sorted(CLIP_TEXT_ARCHS)} or arch=None with explicit sizes')
        sizes = dict(CLIP_TEXT_ARCHS.get(arch, {}))
        given = dict(width=width, heads=heads, layers=layers, output_dim=output_dim)
        sizes.update({k: v for k, v in given.items() if v is not None})
        missing = [k for k in given if k not in sizes]
        if missing:
            raise ValueError(f'CLIPTextTransformer(arch=None) needs {missing}')
        super().__init__(context_length=context_length, vocab_size=vocab_size,
                         act_layer=QuickGELU if quick_gelu else nn.GELU, **sizes)
        if freeze_token_embedding:
            self.token_embedding.requires_grad_(False)

    @property
    def pooled_dim(self) -> int:
        """Width of :meth:`pool`'s output (``output_dim``, or ``width`` without projection)."""
        return self.output_dim if self.text_projection is not None else self.width

    def forward_text(self, input_ids: torch.Tensor,
                     attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Token features after ``ln_final`` ``(B, L, width)``; ``L <= context_length``.

        Padding needs no mask: attention is causal and the EOT token comes before the pads,
        so ``attention_mask`` is accepted for the common text-tower API and not used.
        """
        length = input_ids.shape[1]
        if length > self.context_length:
            raise ValueError(f'{length} tokens exceed the context length '
                             f'{self.context_length}; tokenize with max_length='
                             f'{self.context_length}')
        dtype = self.transformer.get_cast_dtype()
        x = self.token_embedding(input_ids).to(dtype)
        x = x + self.positional_embedding[:length].to(dtype)
        x = self.transformer(x, attn_mask=self.attn_mask[:length, :length])
        return self.ln_final(x)

    def pool(self, hidden: torch.Tensor, input_ids: torch.Tensor) -> torch.Tensor:
        """EOT token (highest id) -> ``text_projection``: ``(B, output_dim)``."""
        x = text_global_pool(hidden, input_ids, self.pool_type)
        return x @ self.text_projection if self.text_projection is not None else x

    def encode_text(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Projected sentence features ``(B, output_dim)`` (as ``CLIP.encode_text``)."""
        return self.pool(self.forward_text(input_ids), input_ids)
