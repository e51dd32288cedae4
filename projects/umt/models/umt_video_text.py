"""UMT stage 2: video-text pretraining with the unmasked teacher (UTA + VTC + VTM + MLM).

What UMT adds to :class:`VideoTextPretrainer` (the official ``multi_modality/models/umt.py``):
the frozen image teacher gives the semantic mask and the alignment targets (UTA, as in stage
1, on the last K student layers through the shared alignment head), and the student encodes
only the unmasked tokens; VTC, VTM (hard negatives) and MLM are the generic ones, as is the
zero-shot retrieval with VTM re-ranking.
"""
from __future__ import annotations

import torch

from mmvideofm.models.algorithms.video_text import (
    DEFAULT_LOSSES,
    VideoTextPretrainer,
    get_caption,
    get_video_index,
)
from mmvideofm.models.heads.align_head import AlignHead
from mmvideofm.models.layers import get_sinusoid_encoding_table, semantic_masking
from mmvideofm.models.utils import as_clip_batch, check_ratio
from mmvideofm.registry import MODELS

__all__ = ['UMTVideoText']


@MODELS.register_module()
class UMTVideoText(VideoTextPretrainer):
    """UMT stage-2 model.

    Args:
        backbone: Student ``UMTViT`` (``use_mean_pooling=False``, plain sinusoid).
        text_encoder: ``BertFusionEncoder`` (BERT-base, fusion layer 9 for B/16).
        tokenizer: A ``TOKENIZERS`` config (``BertTokenizer`` from local files).
        teacher: Frozen ``CLIPVisual`` for UTA and semantic masking, or None (no UTA, no mask).
        clip_return_layer: Aligned layers K (6).
        video_mask_ratio / image_mask_ratio: Semantic mask ratios (0.8 / 0.5).
        losses: Among ``uta`` (``AlignLoss``, needs the teacher), ``vtc``, ``vtm``, ``mlm``;
            default: all four (UTA only with a teacher), weight 1 each.
        **kwargs: :class:`VideoTextPretrainer` arguments (``embed_dim`` 512 for B/16, 768
            for L/16; ``temp`` 0.07 in [0.001, 0.5]; ``mlm_mask_prob`` 0.5; ``max_txt_len``
            32; ``k_test`` 128 in the official retrieval; ``seed``).
    """

    loss_names = ('uta', 'vtc', 'vtm', 'mlm')

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 tokenizer: dict,
                 teacher: dict | None = None,
                 clip_return_layer: int = 6,
                 video_mask_ratio: float = 0.8,
                 image_mask_ratio: float = 0.5,
                 losses: dict | None = None,
                 **kwargs) -> None:
        if losses is None:
            uta = dict(uta=dict(type='AlignLoss', norm_type='l2')) if teacher else {}
            losses = {**uta, **DEFAULT_LOSSES}
        if 'uta' in losses and teacher is None:
            raise ValueError('the uta loss aligns to a teacher: give teacher=dict(...) or '
                             'drop losses.uta')
        super().__init__(backbone, text_encoder, tokenizer, teacher=teacher, losses=losses,
                         **kwargs)
        self.video_mask_ratio = check_ratio(video_mask_ratio, 'video_mask_ratio')
        self.image_mask_ratio = check_ratio(image_mask_ratio, 'image_mask_ratio')
        depth, width = self.backbone.depth, self.backbone.embed_dim
        self.return_index = list(range(depth - clip_return_layer, depth))
        if self.with_teacher:
            # stage 2: LayerNorm eps 1e-5 and no L2 normalisation (AlignLoss normalises)
            self.clip_decoder = AlignHead(clip_return_layer, width, self.teacher.output_dim,
                                          norm_eps=1e-5, l2_norm=False)
            self.register_buffer('clip_pos_embed', get_sinusoid_encoding_table(
                self.backbone.patch_embed.num_patches, width), persistent=False)

    @torch.no_grad()
    def encode_teacher(self, video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Semantic mask ``(B, T*HW)`` and UTA targets ``(K, B, N_vis, C_t)``."""
        feats, attn = self.teacher(video)
        ratio = self.image_mask_ratio if video.shape[2] == 1 else self.video_mask_ratio
        num_frames = feats.shape[2] // attn.shape[1]
        mask = semantic_masking(attn.float(), ratio, self.generator(attn.device),
                                num_frames=num_frames)
        K, B, _, C = feats.shape
        return mask, feats[:, ~mask].reshape(K, B, -1, C)

    def forward_student(self, video: torch.Tensor, mask: torch.Tensor | None = None):
        """Student tokens ``(B, N_vis, C)``, pooled ``(B, 1, C)`` and the UTA outputs
        ``(K, B, N_vis, C_t)`` (None without a mask)."""
        tokens, hidden = self.backbone.forward_intermediates(video, mask, self.return_index)
        pooled = self.pool_vision(tokens, video)
        if mask is None:
            return tokens, pooled, None
        x = self.backbone.norm(torch.stack(hidden))  # (K, B, N_vis, C)
        B, _, C = tokens.shape
        pos = self.clip_pos_embed.to(x.dtype).expand(B, -1, -1)[~mask].view(B, -1, C)
        return tokens, pooled, self.clip_decoder(x + pos)

    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict[str, torch.Tensor]:
        self.clamp_temperature()
        video = as_clip_batch(inputs)
        text = self.tokenize([get_caption(s) for s in data_samples], video.device)
        idx = get_video_index(data_samples, video.device)
        mask = targets = None
        if 'uta' in self.losses:
            mask, targets = self.encode_teacher(video)  # teacher -> semantic mask
        vision_embeds, vision_pooled, x_clip = self.forward_student(video, mask)
        text_embeds, text_pooled = self.encode_text(text)
        losses = {}
        if x_clip is not None:
            losses['loss_uta'] = self.losses['uta'](x_clip, targets)
        losses.update(self.video_text_losses(vision_embeds, vision_pooled, text, text_embeds,
                                             text_pooled, idx))
        return losses
