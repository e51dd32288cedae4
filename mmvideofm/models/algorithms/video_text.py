"""Video-text pretraining (ALBEF family): a vision tower, a text tower, contrastive
projections with a learnt temperature, VTM / MLM heads and a configurable loss set.

UMT stage 2 adds its unmasked-teacher alignment in a subclass; ViCLIP (VTC only, frozen CLIP
text tower, projections inside the towers), Harvest (VTC + MLM through a fusion decoder) and
VideoChat2's stage 1 configure or subclass this class. The head slots keep the names of the
official checkpoints (``vision_proj``, ``text_proj``, ``temp``, ``itm_head``, ``text_encoder``)
so their state dicts load after a prefix map.

Zero-shot retrieval follows UMT's ``multi_modality/tasks/retrieval_utils.py`` ``evaluation``:
the VTC similarity ranks every pair; with ``k_test`` set, each video's (each text's) top
``k_test`` candidates are re-scored by the VTM head (:meth:`VideoTextPretrainer.itm_rerank`,
handed to ``VideoTextRetrievalMetric`` by the retrieval loops).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmengine.structures import BaseDataElement
from torch import nn

from mmvideofm.constants import IMAGENET_PREPROCESSOR
from mmvideofm.models.losses import mask_text_tokens, video_text_similarity
from mmvideofm.models.text import build_tokenizer
from mmvideofm.models.utils import as_clip_batch
from mmvideofm.registry import MODELS

from .base import BaseVideoAlgorithm

__all__ = ['VideoTextPretrainer', 'get_caption', 'get_video_index']

DEFAULT_LOSSES = dict(vtc=dict(type='VTCLoss'), vtm=dict(type='VTMLoss'),
                      mlm=dict(type='MLMLoss'))
DEFAULT_ITM_HEAD = dict(type='VTMHead')


def get_caption(sample) -> str:
    """The caption of a data sample (``text`` or ``caption``, field or metainfo)."""
    for key in ('text', 'caption'):
        value = sample.get(key, None) if hasattr(sample, 'get') else None
        if value is None and hasattr(sample, 'metainfo'):
            value = sample.metainfo.get(key)
        if value is not None:
            return value if isinstance(value, str) else value[0]
    raise KeyError('video-text models need a caption in each data sample (`text` or '
                   '`caption`; add it to PackActionInputs meta_keys)')


def get_video_index(samples: Sequence, device: torch.device | str) -> torch.Tensor | None:
    """``video_idx`` metainfo of every sample (captions of one video), or None."""
    idx = [s.metainfo.get('video_idx') if hasattr(s, 'metainfo') else None for s in samples]
    if any(i is None for i in idx):
        return None
    return torch.tensor(idx, device=device)


@MODELS.register_module()
class VideoTextPretrainer(BaseVideoAlgorithm):
    """Video-text pretraining with VTC, VTM and MLM, and zero-shot retrieval.

    Args:
        backbone: Vision tower; ``forward_features(video, mask)`` -> tokens ``(B, N, C)``
            and ``embed_dim`` (e.g. ``UMTViT``).
        text_encoder: Text tower (``BertFusionEncoder``, ``CLIPTextTransformer``):
            ``forward_text``, ``pool``, ``pooled_dim``; ``forward_fusion`` for VTM / MLM.
        tokenizer: A ``TOKENIZERS`` config (local files; nothing is downloaded).
        embed_dim: Joint space width: ``vision_proj`` / ``text_proj`` are Linear layers to
            it; None keeps the towers' own outputs (projections inside the towers).
        temp: Initial VTC temperature (``temp``; the logits are ``cos / temp``).
        temp_range: ``(min, max)`` the temperature is clamped to before every step
            (UMT ``(0.001, 0.5)``, ViCLIP ``(0.01, None)``).
        pool_norm_eps: LayerNorm epsilon of ``pool_norm`` on the mean-pooled video tokens;
            None for no norm.
        itm_head: VTM head config (``VTMHead``; ``in_channels`` defaults to the text
            width); needed by the ``vtm`` loss and the re-ranking.
        mlm_head: MLM head config (``MLMHead``) for text towers without ``mlm_logits``.
        losses: ``{name: loss config}`` among :attr:`loss_names` (a missing name is off),
            each with its own ``loss_weight``; default VTC + VTM + MLM.
        mlm_mask_prob: Word selection probability of MLM (0.5 in UMT).
        max_txt_len: Caption length in tokens.
        k_test: Zero-shot retrieval re-ranks each query's top ``k_test`` VTC candidates with
            the VTM head (UMT: 128); None or 0 ranks by VTC only. With it, ``predict`` also
            returns the token features the re-ranking needs.
        teacher / save_teacher / seed / data_preprocessor / init_cfg: See
            :class:`BaseVideoAlgorithm` (ImageNet statistics by default).
    """

    default_data_preprocessor = IMAGENET_PREPROCESSOR
    #: losses this class computes (subclasses add their own)
    loss_names: tuple[str, ...] = ('vtc', 'vtm', 'mlm')
    #: score of the pairs outside a query's top ``k_test`` (official ``-100.0``)
    itm_fill = -100.0

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 tokenizer: dict,
                 embed_dim: int | None = 512,
                 temp: float = 0.07,
                 temp_range: tuple[float | None, float | None] = (0.001, 0.5),
                 pool_norm_eps: float | None = 1e-6,
                 itm_head: dict | None = DEFAULT_ITM_HEAD,
                 mlm_head: dict | None = None,
                 losses: dict | None = None,
                 mlm_mask_prob: float = 0.5,
                 max_txt_len: int = 32,
                 k_test: int | None = None,
                 teacher: dict | None = None,
                 save_teacher: bool = False,
                 seed: int | None = None,
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, teacher=teacher,
                         save_teacher=save_teacher, seed=seed, init_cfg=init_cfg)
        losses = DEFAULT_LOSSES if losses is None else losses
        unknown = sorted(set(losses) - set(self.loss_names))
        if unknown:
            raise ValueError(f'{type(self).__name__} computes the losses {self.loss_names}; '
                             f'got unknown {unknown}')
        self.backbone = MODELS.build(backbone)
        self.text_encoder = MODELS.build(text_encoder)
        self.tokenizer = build_tokenizer(tokenizer)
        vocab = getattr(self.text_encoder, 'vocab_size', None)
        if vocab is not None and self.tokenizer.vocab_size > vocab:
            raise ValueError(f'tokenizer has {self.tokenizer.vocab_size} words but the text '
                             f'encoder only {vocab} embeddings')
        self.build_heads(embed_dim, temp, pool_norm_eps, itm_head, mlm_head)
        self.temp_range = tuple(temp_range)
        self.losses = nn.ModuleDict({k: MODELS.build(v) for k, v in losses.items()})
        self._check_heads()
        if not 0. < mlm_mask_prob < 1.:
            raise ValueError(f'mlm_mask_prob must be in (0, 1), got {mlm_mask_prob}')
        self.mlm_mask_prob = mlm_mask_prob
        self.max_txt_len = max_txt_len
        if k_test is not None and k_test < 0:
            raise ValueError(f'k_test must be >= 0 or None, got {k_test}')
        self.k_test = k_test or None

    def build_heads(self, embed_dim: int | None, temp: float, pool_norm_eps: float | None,
                    itm_head: dict | None, mlm_head: dict | None) -> None:
        """``pool_norm``, the contrastive ``vision_proj`` / ``text_proj`` / ``temp`` and the
        VTM / MLM heads, under the official names."""
        width = self.backbone.embed_dim
        self.pool_norm = nn.LayerNorm(width, eps=pool_norm_eps) if pool_norm_eps else \
            nn.Identity()
        if embed_dim:
            self.vision_proj = nn.Linear(width, embed_dim)
            self.text_proj = nn.Linear(self.text_encoder.pooled_dim, embed_dim)
        else:
            self.vision_proj, self.text_proj = nn.Identity(), nn.Identity()
        self.temp = nn.Parameter(torch.tensor(float(temp)))
        self.itm_head = None
        if itm_head is not None:
            self.itm_head = MODELS.build({'in_channels': self.text_encoder.width, **itm_head})
        self.mlm_head = None
        if mlm_head is not None:
            self.mlm_head = MODELS.build({'in_channels': self.text_encoder.width,
                                          'vocab_size': self.tokenizer.vocab_size, **mlm_head})

    def _check_heads(self) -> None:
        needs_fusion = [k for k in ('vtm', 'mlm') if k in self.losses]
        if needs_fusion and not hasattr(self.text_encoder, 'forward_fusion'):
            raise ValueError(f'losses {needs_fusion} need a text encoder with fusion layers '
                             f'(forward_fusion), not {type(self.text_encoder).__name__}')
        if 'vtm' in self.losses and self.itm_head is None:
            raise ValueError("the vtm loss needs itm_head=dict(type='VTMHead')")
        if 'mlm' in self.losses:
            if self.mlm_head is None and not hasattr(self.text_encoder, 'mlm_logits'):
                raise ValueError("the mlm loss needs mlm_head=dict(type='MLMHead') for a text "
                                 f'encoder without mlm_logits ({type(self.text_encoder)})')
            if getattr(self.tokenizer, 'mask_token_id', None) is None:
                raise ValueError('the mlm loss needs a tokenizer with a [MASK] token')

    # ------------------------------------------------------------------ encoders
    def clamp_temperature(self) -> None:
        """Keep ``temp`` in :attr:`temp_range` (in place, before each step)."""
        with torch.no_grad():
            self.temp.clamp_(*self.temp_range)

    def tokenize(self, captions: list[str], device: torch.device | str) -> BaseDataElement:
        """``input_ids`` / ``attention_mask`` ``(B, max_txt_len)`` on ``device``."""
        tok = self.tokenizer(captions, padding='max_length', truncation=True,
                             max_length=self.max_txt_len, return_tensors='pt')
        return BaseDataElement(input_ids=tok['input_ids'].to(device),
                               attention_mask=tok['attention_mask'].to(device))

    def encode_text(self, text: BaseDataElement) -> tuple[torch.Tensor, torch.Tensor]:
        """``(text_embeds (B, L, D), pooled (B, D'))`` ([CLS] for BERT, EOT for CLIP)."""
        embeds = self.text_encoder.forward_text(text.input_ids, text.attention_mask)
        return embeds, self.text_encoder.pool(embeds, text.input_ids)

    def encode_vision(self, video: torch.Tensor, mask: torch.Tensor | None = None,
                      keep_temporal: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens ``(B, N_vis, C)`` and the pooled feature ``(B, 1 | T, C)``."""
        tokens = self.backbone.forward_features(video, mask)
        return tokens, self.pool_vision(tokens, video, keep_temporal)

    def pool_vision(self, tokens: torch.Tensor, video: torch.Tensor,
                    keep_temporal: bool = False) -> torch.Tensor:
        """Mean over all tokens ``(B, 1, C)``, or per frame ``(B, T, C)`` (retrieval), then
        ``pool_norm``."""
        B, _, C = tokens.shape
        if keep_temporal:
            T = self.backbone.patch_embed.grid_for(*video.shape[2:])[0]
            return self.pool_norm(tokens.view(B, T, -1, C).mean(2))
        return self.pool_norm(tokens.mean(1, keepdim=True))

    def fusion_logits(self, text_embeds: torch.Tensor, text_atts: torch.Tensor,
                      vision_embeds: torch.Tensor) -> torch.Tensor:
        """VTM logits ``(B, 2)`` from the fused [CLS] token."""
        return self.itm_head(self.text_encoder.forward_fusion(text_embeds, text_atts,
                                                              vision_embeds))

    def mlm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Vocabulary logits of fused text tokens."""
        if self.mlm_head is not None:
            return self.mlm_head(hidden)
        return self.text_encoder.mlm_logits(hidden)

    # ------------------------------------------------------------------ losses
    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict[str, torch.Tensor]:
        self.clamp_temperature()
        video = as_clip_batch(inputs)
        text = self.tokenize([get_caption(s) for s in data_samples], video.device)
        idx = get_video_index(data_samples, video.device)
        vision_embeds, vision_pooled = self.encode_vision(video)
        text_embeds, text_pooled = self.encode_text(text)
        return self.video_text_losses(vision_embeds, vision_pooled, text, text_embeds,
                                      text_pooled, idx)

    def video_text_losses(self, vision_embeds: torch.Tensor, vision_pooled: torch.Tensor,
                          text: BaseDataElement, text_embeds: torch.Tensor,
                          text_pooled: torch.Tensor, idx: torch.Tensor | None = None
                          ) -> dict[str, torch.Tensor]:
        """``loss_vtc`` / ``loss_vtm`` / ``loss_mlm`` of the configured losses."""
        vision_proj = self.vision_proj(vision_pooled)  # (B, 1, E)
        text_proj = self.text_proj(text_pooled)  # (B, E)
        device = vision_embeds.device
        losses = {}
        if 'vtc' in self.losses:
            losses['loss_vtc'] = self.losses['vtc'](vision_proj, text_proj, self.temp, idx)
        if 'vtm' in self.losses:
            with torch.no_grad():
                sim_v2t, _ = video_text_similarity(vision_proj, text_proj, self.temp)
            losses['loss_vtm'] = self.losses['vtm'](
                self.fusion_logits, vision_embeds, text_embeds, text.attention_mask, sim_v2t,
                idx, self.generator(device))
        if 'mlm' in self.losses:
            tok = self.tokenizer
            ids, labels = mask_text_tokens(
                text.input_ids, self.text_encoder.vocab_size, tok.mask_token_id,
                tok.pad_token_id, tok.cls_token_id, self.mlm_mask_prob, self.generator(device))
            hidden = self.text_encoder.forward_text(ids, text.attention_mask)
            hidden = self.text_encoder.forward_fusion(hidden, text.attention_mask, vision_embeds)
            losses['loss_mlm'] = self.losses['mlm'](self.mlm_logits(hidden), labels)
        return losses

    # ------------------------------------------------------------------ retrieval
    @torch.no_grad()
    def retrieval_features(self, inputs: torch.Tensor, captions: list[str] | None = None,
                           tokens: bool = False) -> dict[str, torch.Tensor]:
        """Normalised retrieval features: ``video_feat`` ``(B, T, E)`` (per frame, as the
        official ``keep_temporal`` evaluation), ``text_feat`` ``(B, E)``. ``tokens=True`` adds
        what the VTM head reads: ``vision_embeds`` ``(B, N, C)`` (every frame's tokens in one
        sequence: the official ``eval_frame_ensemble='concat'``), ``text_embeds`` ``(B, L, D)``
        (the text-mode output) and ``text_atts`` ``(B, L)``."""
        video = as_clip_batch(inputs)
        vision_embeds, pooled = self.encode_vision(video, None, keep_temporal=True)
        out = dict(video_feat=F.normalize(self.vision_proj(pooled), dim=-1))
        if tokens:
            out['vision_embeds'] = vision_embeds
        if captions is not None:
            if len(captions) != video.shape[0]:
                raise ValueError(f'{video.shape[0]} clips for {len(captions)} captions: '
                                 'retrieval takes one clip per sample')
            text = self.tokenize(captions, video.device)
            text_embeds, text_pooled = self.encode_text(text)
            out['text_feat'] = F.normalize(self.text_proj(text_pooled), dim=-1)
            if tokens:
                out['text_embeds'] = text_embeds
                out['text_atts'] = text.attention_mask
        return out

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """``mode='tensor'``: normalised per-frame video features ``(B, T, E)``."""
        return self.retrieval_features(inputs)['video_feat']

    def predict(self, inputs: torch.Tensor, data_samples: list) -> list:
        """Data samples carrying :meth:`retrieval_features` (for ``VideoTextRetrievalMetric``)."""
        feats = self.retrieval_features(inputs, [get_caption(s) for s in data_samples],
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
            text_embeds / text_atts: Text-mode output ``(n_t, L, D)`` and its mask.
            k_test: Candidates per query (default: the model's ``k_test``).
            batch_size: Pairs per fusion forward (official 32).

        Returns:
            ``(score_v2t (n_v, n_t), score_t2v (n_t, n_v))``, float32 on the CPU.
        """
        k_test = self.k_test if k_test is None else k_test
        if not k_test or k_test < 0:
            raise ValueError(f'itm_rerank needs k_test >= 1, got {k_test}')
        if self.itm_head is None:
            raise ValueError('itm_rerank needs the VTM head (itm_head)')
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
