"""VideoChat2 stage 1, vision-language alignment (official ``VideoChat2_qformer``).

The frozen UMT encodes the clip; a learnable temporal embedding is added and the tokens are
layer-normed; the Q-Former's queries read them. Three losses (weight 1 each): VTC (mean over
queries of per-query similarities / temp, soft targets for repeated ``idx``), VTM (hard
negatives drawn ``softmax(sim) + 1e-4``, fused feature = mean query output ++ text [CLS]) and
VTG (caption loss through the Q-Former's causal text mode, label smoothing 0.1).
"""
from __future__ import annotations

import torch
from mmengine.model.weight_init import trunc_normal_
from torch import nn

from mmvideofm.constants import IMAGENET_PREPROCESSOR
from mmvideofm.models.algorithms import BaseVideoAlgorithm
from mmvideofm.models.algorithms.video_text import get_caption, get_video_index
from mmvideofm.models.losses import VTCLoss
from mmvideofm.models.utils import as_clip_batch
from mmvideofm.registry import MODELS

from .common import (
    VisionTower,
    build_qformer,
    build_qformer_tokenizer,
    copy_text_ffn_to_query,
    register_stage_guard,
)
from .losses import VideoChat2VTMLoss, caption_loss, clamp_temperature_

__all__ = ['VideoChat2QFormer']


@MODELS.register_module()
class VideoChat2QFormer(VisionTower, BaseVideoAlgorithm):
    """Stage 1 of VideoChat2 (https://arxiv.org/abs/2311.17005): Q-Former alignment.

    Args:
        vision_encoder: ``VideoChat2ViT`` config (UMT-L).
        qformer: Core ``QFormer`` config without ``encoder_width`` (the ViT width) and with
            ``bert_config`` (its ``vocab_size`` is set to the tokenizer's length).
        tokenizer: ``TOKENIZERS`` config of the BERT vocab (``[DEC]`` is added).
        num_frames: Frames of ``vision_temp_embed`` (1, T, 1, C) (4 officially).
        embed_dim: Contrastive width (256).
        temp: Initial VTC temperature (0.07), clamped to ``temp_range`` every forward.
        max_txt_len: Caption length (official ``max_txt_l`` 32), ``[CLS] x`` without
            ``[SEP]`` (the repo's tokenizer).
        loss_weights: ``vtc`` / ``vtm`` / ``cap`` weights (1 each); 0 switches one off.
        freeze_vision_encoder: ViT frozen and in eval mode (official default).
    """

    default_data_preprocessor = IMAGENET_PREPROCESSOR
    stage = 1

    def __init__(self,
                 vision_encoder: dict,
                 qformer: dict,
                 tokenizer: dict,
                 num_frames: int = 4,
                 embed_dim: int = 256,
                 temp: float = 0.07,
                 temp_range: tuple[float, float] = (0.001, 0.5),
                 max_txt_len: int = 32,
                 loss_weights: dict | None = None,
                 freeze_vision_encoder: bool = True,
                 vision_layernorm_eps: float = 1e-12,
                 seed: int | None = None,
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | list | None = None) -> None:
        BaseVideoAlgorithm.__init__(self, data_preprocessor=data_preprocessor, seed=seed,
                                    init_cfg=init_cfg)
        self.vision_encoder = MODELS.build(vision_encoder)
        width = self.vision_encoder.embed_dim
        self.tokenizer = build_qformer_tokenizer(tokenizer)
        self.qformer = build_qformer(dict(qformer, lm_head=True, text_input=True),
                                     len(self.tokenizer), width)
        copy_text_ffn_to_query(self.qformer)
        self.num_frames = num_frames
        self.vision_temp_embed = nn.Parameter(torch.zeros(1, num_frames, 1, width))
        trunc_normal_(self.vision_temp_embed)  # timm defaults: std 1, cut at +-2 (official)
        trunc_normal_(self.qformer.query_tokens)
        self.vision_layernorm = nn.LayerNorm(width, eps=vision_layernorm_eps)
        hidden = self.qformer.width
        self.vision_proj = nn.Linear(hidden, embed_dim)
        self.text_proj = nn.Linear(hidden, embed_dim)
        self.itm_head = MODELS.build(dict(type='VTMHead', in_channels=2 * hidden))
        for lin in (self.vision_proj, self.text_proj, self.itm_head):
            trunc_normal_(lin.weight, std=0.02)
            nn.init.zeros_(lin.bias)
        self.temp = nn.Parameter(torch.tensor(float(temp)))
        self.temp_range = tuple(temp_range)
        self.max_txt_len = max_txt_len
        self.loss_weights = {**dict(vtc=1.0, vtm=1.0, cap=1.0), **(loss_weights or {})}
        self.vtc_loss = VTCLoss(all_gather=True)
        self.vtm_loss = VideoChat2VTMLoss()
        self.freeze_vision_encoder = freeze_vision_encoder
        if freeze_vision_encoder:
            self.vision_encoder.requires_grad_(False)
            self.vision_encoder.eval()
        register_stage_guard(self, self.stage)

    def train(self, mode: bool = True) -> VideoChat2QFormer:
        super().train(mode)
        if self.freeze_vision_encoder:
            self.vision_encoder.eval()
        return self

    # ------------------------------------------------------------------ encoders
    def tokenize(self, captions: list[str], device: torch.device | str
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        """``[CLS] x`` (no ``[SEP]``), right-truncated and padded to ``max_txt_len``."""
        tok = self.tokenizer
        ids = torch.full((len(captions), self.max_txt_len), tok.pad_token_id, dtype=torch.long)
        for i, text in enumerate(captions):
            pieces = tok(text, add_special_tokens=False)['input_ids'][:self.max_txt_len - 1]
            ids[i, :len(pieces) + 1] = torch.tensor([tok.cls_token_id, *pieces])
        mask = (ids != tok.pad_token_id).long()
        mask[:, 0] = 1
        return ids.to(device), mask.to(device)

    def encode_vision(self, video: torch.Tensor) -> torch.Tensor:
        """``(B, C, T, H, W)`` -> Q-Former input ``(B, num_frames * L, C)``: tokens +
        ``vision_temp_embed`` (an image, T == 1, becomes num_frames copies), then LN."""
        frames = self.encode_frames(video)  # (B, T, L, C)
        t = frames.shape[1]
        if t not in (1, self.num_frames):
            raise ValueError(f'stage 1 was built for {self.num_frames}-frame clips or images '
                             f'(T = 1), got T = {t}; set num_frames={t} (vision_temp_embed is '
                             'interpolated on load)')
        x = frames + self.vision_temp_embed
        return self.vision_layernorm(x.reshape(x.shape[0], -1, x.shape[-1]))

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Query outputs ``(B, Nq, D)``."""
        return self.qformer(self.encode_vision(as_clip_batch(inputs)))

    def vtm_logits(self, text_ids: torch.Tensor, text_atts: torch.Tensor,
                   vision_embeds: torch.Tensor) -> torch.Tensor:
        """Queries + text, bidirectional: cat(mean query output, text [CLS]) -> 2 logits."""
        hidden = self.qformer(vision_embeds, text_ids, text_atts)
        nq = self.qformer.num_output_tokens
        return self.itm_head(torch.cat([hidden[:, :nq].mean(1), hidden[:, nq]], dim=1))

    # ------------------------------------------------------------------ losses
    def loss(self, inputs: torch.Tensor, data_samples: list | None = None
             ) -> dict[str, torch.Tensor]:
        video = as_clip_batch(inputs)
        text_ids, text_atts = self.tokenize([get_caption(s) for s in data_samples],
                                            video.device)
        return self.loss_tokens(video, text_ids, text_atts,
                                get_video_index(data_samples, video.device))

    def loss_tokens(self, video: torch.Tensor, text_ids: torch.Tensor,
                    text_atts: torch.Tensor, idx: torch.Tensor | None = None
                    ) -> dict[str, torch.Tensor]:
        """The three losses from a clip batch and tokenised captions."""
        clamp_temperature_(self.temp, *self.temp_range)
        if idx is None:
            idx = torch.arange(video.shape[0], device=video.device)
        vision_embeds = self.encode_vision(video)
        query_out = self.qformer(vision_embeds)  # (B, Nq, D)
        text_feat = self.qformer.encode_text(text_ids, text_atts)[:, 0]  # [CLS]
        vision_proj = self.vision_proj(query_out)  # (B, Nq, E)
        text_proj = self.text_proj(text_feat)  # (B, E)
        w, losses = self.loss_weights, {}
        if w['vtc']:
            losses['loss_vtc'] = w['vtc'] * self.vtc_loss(vision_proj, text_proj, self.temp, idx)
        if w['vtm']:
            losses['loss_vtm'] = w['vtm'] * self.vtm_loss(
                self.vtm_logits, vision_embeds, text_ids, text_atts, idx=idx,
                generator=self.generator(video.device), proj=(vision_proj, text_proj, self.temp))
        if w['cap']:
            cap_ids = text_ids.clone()
            cap_ids[:, 0] = self.tokenizer.bos_token_id  # [DEC]
            labels = cap_ids.masked_fill(cap_ids == self.tokenizer.pad_token_id, -100)
            hidden = self.qformer(vision_embeds, cap_ids, text_atts, causal_text=True)
            logits = self.qformer.lm_logits(hidden[:, self.qformer.num_output_tokens:])
            losses['loss_cap'] = w['cap'] * caption_loss(logits, labels)
        return losses
