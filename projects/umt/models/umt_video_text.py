"""UMT stage 2: video-text pretraining (UTA + VTC + VTM + MLM) and zero-shot retrieval.

``loss`` follows the official ``multi_modality/models/umt.py``: the frozen teacher gives the
semantic mask and alignment targets (UTA, as in stage 1), the masked student encodes the
video, BERT encodes the caption; VTC contrasts pooled projections (gathered over ranks), VTM
classifies fused pairs with mined hard negatives, MLM reconstructs masked words from the
fused text.

Zero-shot retrieval follows ``multi_modality/tasks/retrieval_utils.py`` ``evaluation``: the
VTC similarity ranks every pair; with ``k_test`` set, each video's (each text's) top
``k_test`` candidates are re-scored by the VTM head (:meth:`UMTVideoText.itm_rerank`).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import nn

from mmvideofm.models.layers import get_sinusoid_encoding_table, semantic_masking
from mmvideofm.models.losses import mask_text_tokens, video_text_similarity
from mmvideofm.models.utils import as_clip_batch
from mmvideofm.registry import MODELS

from .text_encoder import BertFusionEncoder
from .tokenizer import build_tokenizer
from .umt import ClipDecoder, build_data_preprocessor

__all__ = ['UMTVideoText']


def _caption(sample) -> str:
    for key in ('text', 'caption'):
        value = sample.get(key, None) if hasattr(sample, 'get') else None
        if value is None and hasattr(sample, 'metainfo'):
            value = sample.metainfo.get(key)
        if value is not None:
            return value if isinstance(value, str) else value[0]
    raise KeyError('UMTVideoText needs a caption in each data sample (`text` or `caption`)')


def _video_index(samples, device) -> torch.Tensor | None:
    idx = [s.metainfo.get('video_idx') if hasattr(s, 'metainfo') else None for s in samples]
    if any(i is None for i in idx):
        return None
    return torch.tensor(idx, device=device)


@MODELS.register_module()
class UMTVideoText(BaseModel):
    """UMT stage-2 model.

    Args:
        backbone: Student ``UMTViT`` (``use_mean_pooling=False``, plain sinusoid).
        text_encoder: ``dict(config=BertConfig kwargs, fusion_layer=9, pretrained=None)``.
        tokenizer: See :func:`build_tokenizer` (local vocab; nothing is downloaded).
        teacher: Frozen ``CLIPVisual`` for UTA and semantic masking, or None (no UTA, no mask).
        embed_dim: Joint space width (512 for B/16, 768 for L/16).
        temp: Initial VTC temperature (0.07, clamped to [0.001, 0.5]).
        clip_return_layer: Aligned layers K (6).
        video_mask_ratio / image_mask_ratio: Semantic mask ratios (0.8 / 0.5).
        mlm_mask_prob: Word selection probability of MLM (0.5).
        max_txt_len: Caption length in tokens (32).
        loss_weight: Weights of ``uta``, ``vtc``, ``vtm``, ``mlm`` (all 1; 0 disables).
        vtm_hard_negatives: Mine VTM negatives from the similarities (True).
        seed: Seed of the masking / negative-sampling generator (None = global RNG).
        k_test: Zero-shot retrieval re-ranks each query's top ``k_test`` VTC candidates with
            the VTM head (official: 128); None or 0 ranks by VTC only. With it, ``predict``
            also returns the token features the re-ranking needs.
    """

    #: Score of the pairs outside a query's top ``k_test`` (official ``-100.0``).
    itm_fill = -100.0

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 tokenizer: dict,
                 teacher: dict | None = None,
                 embed_dim: int = 512,
                 temp: float = 0.07,
                 clip_return_layer: int = 6,
                 video_mask_ratio: float = 0.8,
                 image_mask_ratio: float = 0.5,
                 mlm_mask_prob: float = 0.5,
                 max_txt_len: int = 32,
                 loss_weight: dict | None = None,
                 vtm_hard_negatives: bool = True,
                 seed: int | None = None,
                 k_test: int | None = None,
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(data_preprocessor=build_data_preprocessor(data_preprocessor),
                         init_cfg=init_cfg)
        for name, r in (('video_mask_ratio', video_mask_ratio),
                        ('image_mask_ratio', image_mask_ratio)):
            if not 0. <= r < 1.:
                raise ValueError(f'{name} must be in [0, 1), got {r}')
        self.backbone = MODELS.build(backbone)
        self.text_encoder = BertFusionEncoder(**text_encoder)
        self.tokenizer = build_tokenizer(tokenizer)
        if self.tokenizer.vocab_size > self.text_encoder.config.vocab_size:
            raise ValueError(f'tokenizer has {self.tokenizer.vocab_size} words but BERT only '
                             f'{self.text_encoder.config.vocab_size} embeddings')
        width = self.backbone.embed_dim
        self.teacher = MODELS.build(teacher) if teacher is not None else None
        depth = self.backbone.depth
        self.return_index = list(range(depth - clip_return_layer, depth))
        if self.teacher is not None:
            self.teacher.requires_grad_(False)
            self.clip_decoder = nn.ModuleList([
                ClipDecoder(width, self.teacher.output_dim, norm_eps=1e-5, l2_norm=False)
                for _ in range(clip_return_layer)])
            self.register_buffer('clip_pos_embed', get_sinusoid_encoding_table(
                self.backbone.patch_embed.num_patches, width), persistent=False)
        self.pool_norm = nn.LayerNorm(width, eps=1e-6)
        self.vision_proj = nn.Linear(width, embed_dim)
        self.text_proj = nn.Linear(self.text_encoder.width, embed_dim)
        self.temp = nn.Parameter(torch.tensor(float(temp)))
        self.itm_head = nn.Linear(self.text_encoder.width, 2)
        self.video_mask_ratio = video_mask_ratio
        self.image_mask_ratio = image_mask_ratio
        self.mlm_mask_prob = mlm_mask_prob
        self.max_txt_len = max_txt_len
        self.loss_weight = {**dict(uta=1.0, vtc=1.0, vtm=1.0, mlm=1.0), **(loss_weight or {})}
        self.uta_loss = MODELS.build(dict(type='AlignLoss', norm_type='l2'))
        self.vtc_loss = MODELS.build(dict(type='VTCLoss', all_gather=True))
        self.vtm_loss = MODELS.build(dict(type='VTMLoss', hard_negatives=vtm_hard_negatives))
        self.mlm_loss = MODELS.build(dict(type='MLMLoss'))
        if k_test is not None and k_test < 0:
            raise ValueError(f'k_test must be >= 0 or None, got {k_test}')
        self.k_test = k_test or None
        self.seed = seed
        self._generator: torch.Generator | None = None

    def train(self, mode: bool = True) -> UMTVideoText:
        super().train(mode)
        if self.teacher is not None:
            self.teacher.train(False)
        return self

    def generator(self, device) -> torch.Generator | None:
        if self.seed is None:
            return None
        if self._generator is None or self._generator.device != torch.device(device):
            self._generator = torch.Generator(device=device).manual_seed(self.seed)
        return self._generator

    # ------------------------------------------------------------------ encoders
    def tokenize(self, captions: list[str], device) -> BaseDataElement:
        tok = self.tokenizer(captions, padding='max_length', truncation=True,
                             max_length=self.max_txt_len, return_tensors='pt')
        return BaseDataElement(input_ids=tok['input_ids'].to(device),
                               attention_mask=tok['attention_mask'].to(device))

    def encode_text(self, text: BaseDataElement) -> tuple[torch.Tensor, torch.Tensor]:
        """``(text_embeds (B, L, D), pooled [CLS] (B, D))``."""
        embeds = self.text_encoder.forward_text(text.input_ids, text.attention_mask)
        return embeds, embeds[:, 0]

    @torch.no_grad()
    def encode_teacher(self, video: torch.Tensor):
        """Semantic mask ``(B, T*HW)`` and UTA targets ``(K, B, N_vis, C_t)``."""
        feats, attn = self.teacher(video)
        ratio = self.image_mask_ratio if video.shape[2] == 1 else self.video_mask_ratio
        num_frames = feats.shape[2] // attn.shape[1]
        mask = semantic_masking(attn.float(), ratio, self.generator(attn.device),
                                num_frames=num_frames)
        K, B, _, C = feats.shape
        return mask, feats[:, ~mask].reshape(K, B, -1, C)

    def encode_vision(self, video: torch.Tensor, mask: torch.Tensor | None = None,
                      keep_temporal: bool = False):
        """Student tokens ``(B, N_vis, C)``, pooled ``(B, 1 | T, C)`` and UTA outputs."""
        tokens, hidden = self.backbone.forward_intermediates(video, mask, self.return_index)
        B, _, C = tokens.shape
        if keep_temporal:  # per-frame pooling (retrieval)
            T = self.backbone.patch_embed.grid_for(*video.shape[2:])[0]
            pooled = self.pool_norm(tokens.view(B, T, -1, C).mean(2))
        else:
            pooled = self.pool_norm(tokens.mean(1, keepdim=True))
        x_clip = None
        if mask is not None and self.teacher is not None:
            x = self.backbone.norm(torch.stack(hidden))
            pos = self.clip_pos_embed.to(x.dtype).expand(B, -1, -1)[~mask].view(B, -1, C)
            x = x + pos
            x_clip = torch.stack([dec(x[k]) for k, dec in enumerate(self.clip_decoder)])
        return tokens, pooled, x_clip

    def fusion_logits(self, text_embeds, text_atts, vision_embeds) -> torch.Tensor:
        """VTM logits ``(B, 2)`` from the fused [CLS] token."""
        fused = self.text_encoder.forward_fusion(text_embeds, text_atts, vision_embeds)
        return self.itm_head(fused[:, 0])

    # ------------------------------------------------------------------ API
    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            self.temp.clamp_(0.001, 0.5)
        video = as_clip_batch(inputs)
        device = video.device
        text = self.tokenize([_caption(s) for s in data_samples], device)
        idx = _video_index(data_samples, device)
        w = self.loss_weight
        mask = targets = None
        if self.teacher is not None and w['uta'] > 0:
            mask, targets = self.encode_teacher(video)  # teacher -> semantic mask
        vision_embeds, pooled, x_clip = self.encode_vision(video, mask)
        text_embeds, text_cls = self.encode_text(text)
        vision_proj = self.vision_proj(pooled)  # (B, 1, E)
        text_proj = self.text_proj(text_cls)  # (B, E)
        losses = {}
        if x_clip is not None:
            losses['loss_uta'] = w['uta'] * self.uta_loss(x_clip, targets)
        if w['vtc'] > 0:
            losses['loss_vtc'] = w['vtc'] * self.vtc_loss(vision_proj, text_proj, self.temp, idx)
        if w['vtm'] > 0:
            with torch.no_grad():
                sim_v2t, _ = video_text_similarity(vision_proj, text_proj, self.temp)
            losses['loss_vtm'] = w['vtm'] * self.vtm_loss(
                self.fusion_logits, vision_embeds, text_embeds, text.attention_mask, sim_v2t,
                idx, self.generator(device))
        if w['mlm'] > 0:
            tok = self.tokenizer
            ids, labels = mask_text_tokens(
                text.input_ids, self.text_encoder.config.vocab_size, tok.mask_token_id,
                tok.pad_token_id, tok.cls_token_id, self.mlm_mask_prob, self.generator(device))
            hidden = self.text_encoder.forward_text(ids, text.attention_mask)
            hidden = self.text_encoder.forward_fusion(hidden, text.attention_mask, vision_embeds)
            losses['loss_mlm'] = w['mlm'] * self.mlm_loss(self.text_encoder.mlm_logits(hidden),
                                                          labels)
        return losses

    @torch.no_grad()
    def extract_feat(self, inputs: torch.Tensor, captions: list[str] | None = None,
                     tokens: bool = False) -> dict:
        """Normalised retrieval features: ``video_feat`` ``(B, T, E)`` (per frame, as the
        official ``keep_temporal`` evaluation), ``text_feat`` ``(B, E)``. ``tokens=True`` adds
        what the VTM head reads: ``vision_embeds`` ``(B, N, C)`` (every frame's tokens in one
        sequence: the official ``eval_frame_ensemble='concat'``), ``text_embeds`` ``(B, L, D)``
        (the text-mode BERT output) and ``text_atts`` ``(B, L)``."""
        video = as_clip_batch(inputs)
        vision_embeds, pooled, _ = self.encode_vision(video, None, keep_temporal=True)
        out = dict(video_feat=F.normalize(self.vision_proj(pooled), dim=-1))
        if tokens:
            out['vision_embeds'] = vision_embeds
        if captions is not None:
            if len(captions) != video.shape[0]:
                raise ValueError(f'{video.shape[0]} clips for {len(captions)} captions: '
                                 'retrieval takes one clip per sample')
            text = self.tokenize(captions, video.device)
            text_embeds, text_cls = self.encode_text(text)
            out['text_feat'] = F.normalize(self.text_proj(text_cls), dim=-1)
            if tokens:
                out['text_embeds'] = text_embeds
                out['text_atts'] = text.attention_mask
        return out

    def predict(self, inputs: torch.Tensor, data_samples: list) -> list:
        feats = self.extract_feat(inputs, [_caption(s) for s in data_samples],
                                  tokens=self.k_test is not None)
        for i, sample in enumerate(data_samples):
            for key, value in feats.items():
                sample.set_field(value[i].cpu(), key)
        return data_samples

    @torch.no_grad()
    def itm_rerank(self, sim_v2t: torch.Tensor,
                   vision_embeds: torch.Tensor | Sequence[torch.Tensor],
                   text_embeds: torch.Tensor, text_atts: torch.Tensor,
                   k_test: int | None = None, batch_size: int = 32
                   ) -> tuple[torch.Tensor, torch.Tensor]:
        """Re-ranked retrieval scores (official ``retrieval_utils.evaluation``).

        For each video (row of ``sim_v2t``) the ``k_test`` texts with the highest VTC
        similarity, and for each text (column) the ``k_test`` best videos, are scored by the
        VTM head: the ``match`` logit ``itm_head(fused [CLS])[:, 1]``, without softmax or VTC
        term. Every other pair gets :attr:`itm_fill`. The two directions are scored
        separately, so ``score_t2v`` is not ``score_v2t.T`` (a pair can be in one top-k only).

        Args:
            sim_v2t: VTC similarities ``(n_v, n_t)``.
            vision_embeds: Video tokens ``(n_v, N, C)`` (or a sequence of ``(N, C)``; moved to
                the model's device once).
            text_embeds / text_atts: Text-mode BERT output ``(n_t, L, D)`` and its mask.
            k_test: Candidates per query (default: the model's ``k_test``).
            batch_size: Pairs per fusion forward (official 32).

        Returns:
            ``(score_v2t (n_v, n_t), score_t2v (n_t, n_v))``, float32 on the CPU.
        """
        k_test = self.k_test if k_test is None else k_test
        if not k_test or k_test < 0:
            raise ValueError(f'itm_rerank needs k_test >= 1, got {k_test}')
        n_v, n_t = sim_v2t.shape
        param = self.itm_head.weight
        if isinstance(vision_embeds, torch.Tensor):
            vision = vision_embeds.to(param.device, param.dtype)
        else:  # fill one device tensor instead of stacking a second copy on the host
            vision = param.new_empty((n_v, *vision_embeds[0].shape))
            for i, v in enumerate(vision_embeds):
                vision[i] = v
        text = text_embeds.to(param.device, param.dtype)
        atts = text_atts.to(param.device)
        if vision.shape[0] != n_v or text.shape[0] != n_t:
            raise ValueError(f'sim_v2t is {tuple(sim_v2t.shape)} but there are '
                             f'{vision.shape[0]} videos and {text.shape[0]} texts')

        def score(v_idx, t_idx):  # VTM match logits of the pairs (v_idx[i], t_idx[i])
            v_idx, t_idx = v_idx.to(param.device), t_idx.to(param.device)
            out = [self.fusion_logits(text[t], atts[t], vision[v])[:, 1]
                   for v, t in zip(v_idx.split(batch_size), t_idx.split(batch_size))]
            return torch.cat(out).float().cpu()

        was_training = self.training
        self.eval()  # no dropout (the official evaluation runs in eval mode)
        try:
            sim_v2t = sim_v2t.float().cpu()
            score_v2t = torch.full((n_v, n_t), self.itm_fill)
            top_t = sim_v2t.topk(min(k_test, n_t), dim=1).indices  # (n_v, k)
            rows = torch.arange(n_v)[:, None].expand_as(top_t)
            score_v2t[rows, top_t] = score(rows.flatten(), top_t.flatten()).view_as(top_t)
            score_t2v = torch.full((n_t, n_v), self.itm_fill)
            top_v = sim_v2t.T.topk(min(k_test, n_v), dim=1).indices  # (n_t, k)
            rows = torch.arange(n_t)[:, None].expand_as(top_v)
            score_t2v[rows, top_v] = score(top_v.flatten(), rows.flatten()).view_as(top_v)
        finally:
            self.train(was_training)
        return score_v2t, score_t2v

    def forward(self, inputs: torch.Tensor, data_samples: list | None = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)['video_feat']
        raise RuntimeError(f'unknown mode {mode!r}')
