"""Harvest (https://arxiv.org/abs/2310.19554): post-pretraining an image CLIP into a video
model with random patch dropping, text masking (MLM through a fusion decoder) and VTC.

``Harvest.loss`` reads like the paper's figure: draw the text mask (bernoulli, special
tokens protected) and the patch-drop mask (a fixed count per frame) -> video tower on the
kept patches -> causal text tower on the masked text (mask embedding) -> VTC between the
video feature and the masked text's EOT feature (as the official ``compute_contrastive``)
-> MLM: the fusion decoder reads the masked text and the video tokens and predicts the
masked words. Captioning (``cap``) is available behind ``losses``.

``released=True`` reproduces InternVideo1's released ``CoTrain`` code instead: the drop
indices are drawn (consuming the random stream) but the video tower ignores them, SOT / EOT
can be masked (only padding is protected), and no MLM decoder exists (the ``mlm`` loss is
refused, as the released code fails there).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from mmengine.structures import BaseDataElement

from mmvideofm.constants import CLIP_PREPROCESSOR
from mmvideofm.models.algorithms import VideoTextPretrainer
from mmvideofm.models.algorithms.video_text import get_caption, get_video_index
from mmvideofm.models.layers.masking import random_masking
from mmvideofm.models.utils import as_clip_batch, check_ratio
from mmvideofm.registry import MODELS

__all__ = ['Harvest', 'mask_text_ids']

#: the text-tower parts official ``clip_freeze_text`` freezes
FROZEN_TEXT = ('transformer', 'token_embedding', 'positional_embedding', 'ln_final',
               'text_projection')
DEFAULT_LOSSES = dict(vtc=dict(type='VTCLoss'), mlm=dict(type='MLMLoss'))


def mask_text_ids(input_ids: torch.Tensor, special_tokens_mask: torch.Tensor, mlm_prob: float,
                  generator: torch.Generator | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Official ``CLIP.mask_text_ids``: each position not in ``special_tokens_mask`` is masked
    with ``mlm_prob`` (one bernoulli per position; no 80/10/10 rule). Returns
    ``(masked (B, L) bool, labels (B, L) int64 with -100 where not masked)``."""
    prob = torch.full(input_ids.shape, float(mlm_prob), device=input_ids.device)
    prob.masked_fill_(special_tokens_mask, 0.)
    masked = torch.bernoulli(prob, generator=generator).bool()
    labels = input_ids.long().masked_fill(~masked, -100)
    return masked, labels


def _has_caption(sample) -> bool:
    try:
        get_caption(sample)
    except KeyError:
        return False
    return True


@MODELS.register_module()
class Harvest(VideoTextPretrainer):
    """CLIP -> video post-pretraining (VTC + MLM, patch dropping).

    Args:
        backbone: ``HarvestViT`` config (its ``ln_post`` / ``proj`` give the joint space).
        text_encoder: ``HarvestCLIPText`` config (causal CLIP text tower + mask embedding).
        tokenizer: ``CLIPTokenizer`` config.
        fusion_decoder: ``HarvestFusionDecoder`` config (official ``caption_decoder``);
            ``transformer_width``, ``vision_width`` and ``vocab_size`` default to the towers'.
        logit_scale: Initial ``logit_scale`` (``ln(1/0.07)``), clamped in place to
            ``[0, ln 100]`` before every step as official.
        video_drop_ratio: Share of each frame's patches dropped in training (official
            ``mim_prob`` 0.9; ``int(ratio * HW)`` per frame); 0 disables.
        mlm_prob: Text masking probability (official 0.15).
        drop_patches: Remove the dropped patches before the video tower (the paper); False
            draws the indices and ignores them (the released code).
        protect_sot_eot: Never mask SOT / EOT (the paper and the code's comment; the
            released code only protects padding).
        released: The released code's behaviour in one switch: ``drop_patches=False``,
            ``protect_sot_eot=False`` and no MLM decoder (the ``mlm`` loss is refused).
        freeze_text: Freeze the CLIP text tower (official ``clip_freeze_text=True``:
            ``transformer``, ``token_embedding``, ``positional_embedding``, ``ln_final``,
            ``text_projection``); ``text_mask_embedding``, ``logit_scale`` and the decoder
            still train.
        losses: ``{name: config}`` among ``vtc`` / ``mlm`` / ``cap``; default VTC + MLM.
        max_txt_len: Caption length in tokens (official 77).
    """

    default_data_preprocessor = CLIP_PREPROCESSOR
    loss_names = ('vtc', 'mlm', 'cap')

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 tokenizer: dict,
                 fusion_decoder: dict | None = None,
                 logit_scale: float = math.log(1 / 0.07),
                 video_drop_ratio: float = 0.9,
                 mlm_prob: float = 0.15,
                 drop_patches: bool = True,
                 protect_sot_eot: bool = True,
                 released: bool = False,
                 freeze_text: bool = False,
                 losses: dict | None = None,
                 max_txt_len: int = 77,
                 seed: int | None = None,
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | list | None = None) -> None:
        self._decoder_cfg = fusion_decoder
        self._logit_scale_init = float(logit_scale)
        self.released = released
        super().__init__(backbone=backbone, text_encoder=text_encoder, tokenizer=tokenizer,
                         embed_dim=None, pool_norm_eps=None, itm_head=None, mlm_head=None,
                         losses=DEFAULT_LOSSES if losses is None else losses,
                         mlm_mask_prob=mlm_prob, max_txt_len=max_txt_len, seed=seed,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.video_drop_ratio = check_ratio(video_drop_ratio, 'video_drop_ratio')
        context = getattr(self.text_encoder, 'context_length', max_txt_len)
        if max_txt_len > context:
            raise ValueError(f'max_txt_len {max_txt_len} exceeds the text tower context '
                             f'{context}: set max_txt_len <= {context}')
        self.drop_patches = drop_patches and not released
        self.protect_sot_eot = protect_sot_eot and not released
        if freeze_text:
            for name in FROZEN_TEXT:
                getattr(self.text_encoder, name).requires_grad_(False)

    # ------------------------------------------------------------------ heads
    def build_heads(self, embed_dim, temp, pool_norm_eps, itm_head, mlm_head) -> None:
        """``logit_scale`` and the fusion decoder (official ``caption_decoder``); the
        projections live in the towers (``backbone.proj``, ``text_encoder.text_projection``)."""
        self.vision_proj = self.text_proj = self.pool_norm = torch.nn.Identity()
        self.itm_head = self.mlm_head = None
        self.logit_scale = torch.nn.Parameter(torch.tensor(self._logit_scale_init))
        self.caption_decoder = None
        if self._decoder_cfg is not None:
            width = self.text_encoder.width
            self.caption_decoder = MODELS.build({
                'type': 'HarvestFusionDecoder', 'transformer_width': width,
                'transformer_heads': max(1, width // 64), 'vision_width': self.backbone.width,
                'vocab_size': self.text_encoder.vocab_size, **self._decoder_cfg})

    def _check_heads(self) -> None:
        decoded = [k for k in ('mlm', 'cap') if k in self.losses]
        if 'mlm' in self.losses and self.released:
            raise ValueError('released=True reproduces the released CoTrain code, whose MLM '
                             'decoder (text_decoder / mlm_score) is never built: drop the '
                             'mlm loss or set released=False')
        if decoded and self.caption_decoder is None:
            raise ValueError(f'losses {decoded} need fusion_decoder=dict(n_layers=4, ...)')

    @property
    def temp(self) -> torch.Tensor:
        """VTC temperature ``1 / exp(logit_scale)`` (logits ``cos * exp(logit_scale)``)."""
        return torch.exp(-self.logit_scale)

    def clamp_temperature(self) -> None:
        """Official in-place clamp of ``logit_scale`` to ``[0, ln 100]``."""
        with torch.no_grad():
            self.logit_scale.clamp_(0, math.log(100))

    # ------------------------------------------------------------------ masks
    def special_tokens_mask(self, text: BaseDataElement) -> torch.Tensor:
        """Positions never masked: padding (after EOT), plus SOT / EOT unless released."""
        special = text.attention_mask == 0
        if self.protect_sot_eot:
            special = special.clone()
            special[:, 0] = True
            special.scatter_(1, text.input_ids.argmax(dim=1, keepdim=True), True)
        return special

    def draw_masks(self, text: BaseDataElement, video: torch.Tensor
                   ) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]:
        """``(text_masked, mlm_labels, patch_drop)`` in the official order: the text
        bernoulli first (only with ``mlm``), then the patch ranks (only when dropping)."""
        gen = self.generator(video.device)
        text_masked = labels = drop = None
        if 'mlm' in self.losses:
            text_masked, labels = mask_text_ids(text.input_ids, self.special_tokens_mask(text),
                                                self.mlm_mask_prob, gen)
        if self.video_drop_ratio > 0:
            B, _, T, H, W = video.shape
            hw = (H // self.backbone.patch_size) * (W // self.backbone.patch_size)
            drop = random_masking(B * T, hw, self.video_drop_ratio, gen, video.device)
        return text_masked, labels, drop

    # ------------------------------------------------------------------ encoders
    def encode_vision(self, video: torch.Tensor, mask: torch.Tensor | None = None,
                      keep_temporal: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Video tokens ``(L, B, T, W)`` (the decoder's input) and the projected feature
        ``(B, 1, E)``; ``mask`` drops patches if ``drop_patches``."""
        feats, tokens = self.backbone.forward_features(video, mask if self.drop_patches else None)
        return tokens, self.backbone.project(feats)[:, None]

    def encode_text(self, text: BaseDataElement, masked: torch.Tensor | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(tokens (B, L, Wt), EOT feature @ text_projection (B, E))``."""
        hidden = self.text_encoder.forward_text(text.input_ids, text.attention_mask, masked)
        return hidden, self.text_encoder.pool(hidden, text.input_ids)

    # ------------------------------------------------------------------ losses
    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict[str, torch.Tensor]:
        self.clamp_temperature()
        video = as_clip_batch(inputs)
        text = self.tokenize([get_caption(s) for s in data_samples], video.device)
        return self.harvest_losses(video, text, get_video_index(data_samples, video.device))

    def harvest_losses(self, video: torch.Tensor, text: BaseDataElement,
                       idx: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """The configured losses of a clip batch ``(B, 3, T, H, W)`` and its tokenized
        captions (``input_ids``, ``attention_mask``)."""
        text_masked, labels, drop = self.draw_masks(text, video)
        video_tokens, video_feat = self.encode_vision(video, drop)
        text_hidden, text_feat = self.encode_text(text, text_masked)
        losses = {}
        if 'vtc' in self.losses:  # the masked text's EOT feature, as official
            losses['loss_vtc'] = self.losses['vtc'](video_feat, text_feat, self.temp, idx)
        if 'mlm' in self.losses:
            losses['loss_mlm'] = self.losses['mlm'](*self.mlm_logits(video_tokens, text_hidden,
                                                                     labels))
        if 'cap' in self.losses:
            if text_masked is not None:
                text_hidden = self.encode_text(text)[0]
            losses['loss_cap'] = self.losses['cap'](*self.caption_logits(video_tokens,
                                                                         text_hidden, text))
        return losses

    def mlm_logits(self, video_tokens: torch.Tensor, text_hidden: torch.Tensor,
                   labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Vocabulary logits of the masked positions only ``(1, M, V)`` and their labels
        ``(1, M)``: the fusion decoder reads the whole masked text, the head (a 49408-way
        Linear) runs where the loss looks. Same loss as the official full-sequence logits."""
        fused = self.caption_decoder.forward_features(video_tokens, text_hidden)
        selected = labels != -100
        return self.caption_decoder.predictor(fused[selected])[None], labels[selected][None]

    # ------------------------------------------------------------------ evaluation
    @torch.no_grad()
    def text_features(self, texts: list[str], normalize: bool = False) -> torch.Tensor:
        """EOT features @ ``text_projection`` ``(N, E)`` of raw texts (zero-shot prompts)."""
        feats = self.encode_text(self.tokenize(list(texts), self.logit_scale.device))[1]
        return F.normalize(feats, dim=-1) if normalize else feats

    def predict(self, inputs: torch.Tensor, data_samples: list) -> list:
        """``video_feat`` (and ``text_feat`` for captioned samples): what the retrieval and
        zero-shot metrics read; a classification dataset has no captions."""
        if all(_has_caption(s) for s in data_samples):
            return super().predict(inputs, data_samples)
        for sample, feat in zip(data_samples, self.extract_feat(inputs).cpu()):
            sample.set_field(feat, 'video_feat')
        return data_samples

    def caption_logits(self, video_tokens: torch.Tensor, text_hidden: torch.Tensor,
                       text: BaseDataElement) -> tuple[torch.Tensor, torch.Tensor]:
        """Official ``compute_cap``: logits of the clean text without its last position and
        labels ``ids[:, 1:]`` with padding -> -100 (the EOT is a target)."""
        logits = self.caption_decoder(video_tokens, text_hidden[:, :-1])
        labels = text.input_ids[:, 1:].long().masked_fill(text.attention_mask[:, 1:] == 0, -100)
        return logits, labels
