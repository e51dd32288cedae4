"""ViCLIP (InternVid, https://arxiv.org/abs/2307.06942): CLIP with joint space-time attention,
token dropping and a frozen text tower, trained with VTC only.

Official code: ``Data/InternVid/viclip/viclip.py`` (``ViCLIP``). The modules keep the official
names, so a released state dict (``vision_encoder.*``, ``text_encoder.*``, ``temp``) loads with
``strict=True``.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from mmvideofm.constants import IMAGENET_PREPROCESSOR
from mmvideofm.models.algorithms import VideoTextPretrainer
from mmvideofm.models.algorithms.video_text import get_caption, get_video_index
from mmvideofm.models.layers.masking import random_masking
from mmvideofm.models.utils import as_clip_batch, check_ratio
from mmvideofm.registry import MODELS

__all__ = ['ViCLIP', 'VICLIP_ARCHS']

#: ViCLIP-B/16 and ViCLIP-L/14 (``clip_joint_b16`` / ``clip_joint_l14`` + ``clip_text_*``)
VICLIP_ARCHS = {
    'b': dict(vision=dict(arch='b16'), text=dict(arch='b')),
    'l': dict(vision=dict(arch='l14'), text=dict(arch='l')),
}


@MODELS.register_module()
class ViCLIP(VideoTextPretrainer):
    """ViCLIP: ``vision_encoder`` (``CLIPVideoViT``), ``text_encoder``
    (``CLIPTextTransformer``, context 32) and the temperature ``temp``.

    Args:
        vision_encoder / text_encoder: Tower configs (projections inside the towers).
        tokenizer: A ``TOKENIZERS`` config (CLIP BPE).
        temp: Initial temperature (official 1/100); logits are ``cos / temp``.
        temp_min: ``temp`` is clamped to ``>= temp_min`` before every training step.
        masking_prob: Fraction of patch tokens dropped in training (0.9 in stage 1, 0 in the
            unmasked tuning stage).
        eval_masking: Reproduce the official quirk: ``encode_vision(test=False)`` (used by
            ``ViCLIP.forward``) drops tokens in eval mode too, so features are random.
            Off by default: evaluation and inference use every token.
        freeze_text: No gradients for the text tower (official default).
        max_txt_len: Caption length in tokens (32).
        losses: ``{'vtc': VTCLoss config}`` (gradient-carrying all-gather, ``video_idx``
            positives).
        seed / data_preprocessor / init_cfg: See ``BaseVideoAlgorithm``; the default
            preprocessor uses ImageNet statistics, as the official data pipeline does.
    """

    default_data_preprocessor = IMAGENET_PREPROCESSOR
    loss_names = ('vtc', )

    def __init__(self,
                 vision_encoder: dict,
                 text_encoder: dict,
                 tokenizer: dict | None = None,
                 temp: float = 1 / 100.,
                 temp_min: float = 1 / 100.,
                 masking_prob: float = 0.9,
                 eval_masking: bool = False,
                 freeze_text: bool = True,
                 max_txt_len: int = 32,
                 losses: dict | None = None,
                 seed: int | None = None,
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | list | None = None) -> None:
        tokenizer = tokenizer or dict(type='CLIPTokenizer', context_length=max_txt_len)
        super().__init__(
            backbone=vision_encoder, text_encoder=text_encoder, tokenizer=tokenizer,
            embed_dim=None, temp=temp, temp_range=(temp_min, None), pool_norm_eps=None,
            itm_head=None, mlm_head=None, losses=losses or dict(vtc=dict(type='VTCLoss')),
            max_txt_len=max_txt_len, k_test=None, seed=seed,
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        # the official name of the vision tower (``backbone`` stays an alias)
        self.vision_encoder = self._modules.pop('backbone')
        self.masking_prob = check_ratio(masking_prob, 'masking_prob')
        self.eval_masking = eval_masking
        self.freeze_text = freeze_text
        if freeze_text:
            self.text_encoder.requires_grad_(False)

    @property
    def backbone(self) -> nn.Module:
        """The vision tower (``vision_encoder``) under the algorithms' common name."""
        tower = self._modules.get('vision_encoder')
        return tower if tower is not None else self._modules['backbone']

    def build_heads(self, embed_dim: int | None, temp: float, pool_norm_eps: float | None,
                    itm_head: dict | None, mlm_head: dict | None) -> None:
        """Only ``temp``: ViCLIP's projections are the towers' ``proj`` /
        ``text_projection``, and it has no VTM / MLM heads."""
        self.pool_norm = self.vision_proj = self.text_proj = nn.Identity()
        self.temp = nn.Parameter(torch.tensor(float(temp)))
        self.itm_head = self.mlm_head = None

    def no_weight_decay(self) -> set[str]:
        """The official ``no_weight_decay``: ``temp`` and the position / class embeddings."""
        names = {'temp'} | {f'vision_encoder.{k}' for k in self.vision_encoder.no_weight_decay()}
        return names | {'text_encoder.positional_embedding'}

    # ------------------------------------------------------------------ encoders
    def token_mask(self, video: torch.Tensor) -> torch.Tensor:
        """Random drop mask ``(B, N*T)``: exactly ``int(masking_prob * N*T)`` True per clip,
        drawn from the algorithm's generator."""
        B, _, T, H, W = video.shape
        p = self.vision_encoder.patch_size
        return random_masking(B, T * (H // p) * (W // p), self.masking_prob,
                              self.generator(video.device), video.device)

    def encode_vision(self, video: torch.Tensor, test: bool | None = None) -> torch.Tensor:
        """Clip embeddings ``(B, E)`` (not normalised) of ``(B, C, T, H, W)`` clips or
        ``(B, C, H, W)`` images (the T=1 path).

        Args:
            test: True never drops tokens (official ``test=True``); False drops
                ``masking_prob`` of them (official ``test=False``); None (default) drops
                them in training mode only, or also in eval mode with ``eval_masking``.
        """
        if video.ndim == 4:
            video = video.unsqueeze(2)
        if test is None:
            test = not (self.training or self.eval_masking)
        mask = None if test or self.masking_prob == 0 else self.token_mask(video)
        return self.vision_encoder(video, mask)

    def text_features(self, texts: Sequence[str], normalize: bool = False) -> torch.Tensor:
        """EOT features @ ``text_projection`` ``(N, E)`` of raw texts (official
        ``encode_text``); L2-normalised with ``normalize`` (zero-shot prompts)."""
        device = self.temp.device
        text = self.tokenize(list(texts), device)
        feats = self.text_encoder.encode_text(text.input_ids)
        return F.normalize(feats, dim=-1) if normalize else feats

    # ------------------------------------------------------------------ training
    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict[str, torch.Tensor]:
        """VTC between the (token-dropped) clip embeddings and the caption embeddings."""
        self.clamp_temperature()
        video = as_clip_batch(inputs)
        vision = self.encode_vision(video)
        text = self.text_features([get_caption(s) for s in data_samples])
        idx = get_video_index(data_samples, video.device)
        return {'loss_vtc': self.losses['vtc'](vision, text, self.temp, idx)}

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def retrieval_features(self, inputs: torch.Tensor, captions: list[str] | None = None,
                           tokens: bool = False) -> dict[str, torch.Tensor]:
        """``video_feat`` ``(B, E)`` (every token, test path; several views are averaged) and
        ``text_feat`` ``(B, E)`` for ``captions``, both L2-normalised."""
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        views = inputs.shape[1] if inputs.ndim == 6 else 1
        feats = F.normalize(self.encode_vision(as_clip_batch(inputs), test=True), dim=-1)
        if views > 1:
            feats = F.normalize(feats.view(-1, views, feats.shape[-1]).mean(1), dim=-1)
        out = dict(video_feat=feats)
        if captions is not None:
            if len(captions) != feats.shape[0]:
                raise ValueError(f'{feats.shape[0]} clips for {len(captions)} captions: '
                                 'retrieval takes one caption per sample')
            out['text_feat'] = self.text_features(captions, normalize=True)
        return out

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """``mode='tensor'``: L2-normalised clip embeddings ``(B, E)``."""
        return self.retrieval_features(inputs)['video_feat']

    def predict(self, inputs: torch.Tensor, data_samples: list) -> list:
        """Samples carrying ``video_feat`` (and ``text_feat`` when they have captions): what
        ``VideoTextRetrievalMetric`` and ``ZeroShotClassificationMetric`` read."""
        try:
            captions = [get_caption(s) for s in data_samples]
        except KeyError:  # a classification dataset: video features only
            captions = None
        feats = self.retrieval_features(inputs, captions)
        for i, sample in enumerate(data_samples):
            for key, value in feats.items():
                sample.set_field(value[i].cpu(), key)
        return data_samples

    @torch.no_grad()
    def predict_label_probs(self, video: torch.Tensor, texts: Sequence[str]) -> torch.Tensor:
        """Official ``get_predict_label``: ``softmax(100 * v @ t.T)`` over ``texts`` (a
        fixed scale of 100, not ``1 / temp``), ``(B, len(texts))``."""
        v = F.normalize(self.encode_vision(video, test=True), dim=-1)
        return (100. * v @ self.text_features(texts, normalize=True).T).softmax(dim=-1)
