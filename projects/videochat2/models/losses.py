"""VideoChat2 stage-1 criteria (``models/criterions.py`` and ``VideoChat2_qformer``).

VTC is the core :class:`~mmvideofm.models.losses.VTCLoss` (mean over queries of per-query
cosine similarities / temp, soft targets for repeated ``idx``). What is VideoChat2's own:

* the hard-negative weights of ``VideoChat2_qformer.vtm_loss``: ``softmax(sim) + 1e-4``, pairs
  with equal ``idx`` zeroed, ``nan_to_num -> 1e-2``; the negative video per text is drawn
  first, then the negative text per video (global or given generator);
* the caption (VTG) loss: cross-entropy with label smoothing 0.1 on shifted logits;
* the in-place temperature clamp to [0.001, 0.5] at the start of every forward.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from mmvideofm.models.losses import VTMLoss
from mmvideofm.models.losses.vision_text_loss import video_text_similarity
from mmvideofm.registry import MODELS

__all__ = ['VideoChat2VTMLoss', 'caption_loss', 'clamp_temperature_', 'hard_negative_weights']


@torch.no_grad()
def clamp_temperature_(temp: torch.Tensor, min_temp: float = 0.001, max_temp: float = 0.5
                       ) -> torch.Tensor:
    """``clip_contrastive_temperature``: clamp the learnable ``temp`` in place."""
    return temp.clamp_(min_temp, max_temp)


@torch.no_grad()
def hard_negative_weights(vision_proj: torch.Tensor, text_proj: torch.Tensor,
                          temp: torch.Tensor | float, idx: torch.Tensor
                          ) -> tuple[torch.Tensor, torch.Tensor]:
    """``(weights_t2v, weights_v2t)`` of the official VTM: ``softmax(sim, 1) + 1e-4``, zero
    where ``idx`` matches (the diagonal and duplicates), non-finite entries -> 1e-2."""
    sim_v2t = video_text_similarity(vision_proj, text_proj, temp)[0]
    # the official t2v matrix is its own einsum (equal to sim_v2t.T up to rounding)
    sim_t2v = torch.einsum('nd,mld->nlm', F.normalize(text_proj, dim=-1),
                           F.normalize(vision_proj, dim=-1)).mean(1) / temp
    mask = torch.eq(idx.view(-1, 1), idx.view(1, -1))
    w_v2t = (F.softmax(sim_v2t, dim=1) + 1e-4).masked_fill(mask, 0)
    w_t2v = (F.softmax(sim_t2v, dim=1) + 1e-4).masked_fill(mask, 0)
    return (torch.nan_to_num(w_t2v, nan=1e-2, posinf=1e-2, neginf=1e-2),
            torch.nan_to_num(w_v2t, nan=1e-2, posinf=1e-2, neginf=1e-2))


@MODELS.register_module()
class VideoChat2VTMLoss(VTMLoss):
    """VTM with VideoChat2's hard-negative weights (see :func:`hard_negative_weights`).

    ``forward(fusion_fn, vision_embeds, text_embeds, text_atts, sim_v2t, idx, generator)`` as
    the core loss, except that ``sim_v2t`` is replaced by the pair ``(vision_proj,
    text_proj, temp)`` given as ``proj=...``.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__(hard_negatives=True, loss_weight=loss_weight)
        self._proj: tuple | None = None

    @torch.no_grad()
    def sample_negatives(self, sim_v2t: torch.Tensor, idx: torch.Tensor | None = None,
                         generator: torch.Generator | None = None
                         ) -> tuple[torch.Tensor, torch.Tensor]:
        if self._proj is None:
            raise RuntimeError('VideoChat2VTMLoss: call forward(..., proj=(vision_proj, '
                               'text_proj, temp))')
        n = sim_v2t.shape[0]
        if n < 2:
            raise ValueError('VTM needs at least 2 pairs per batch to draw negatives')
        if idx is None:
            idx = torch.arange(n, device=sim_v2t.device)
        w_t2v, w_v2t = hard_negative_weights(*self._proj, idx)
        video_neg = torch.multinomial(w_t2v, 1, generator=generator).view(-1)
        text_neg = torch.multinomial(w_v2t, 1, generator=generator).view(-1)
        return video_neg, text_neg

    def forward(self, fusion_fn, vision_embeds, text_embeds, text_atts, sim_v2t=None,
                idx=None, generator=None, proj: tuple | None = None) -> torch.Tensor:
        self._proj = proj
        try:
            if sim_v2t is None:
                sim_v2t = video_text_similarity(*proj)[0]
            return super().forward(fusion_fn, vision_embeds, text_embeds, text_atts, sim_v2t,
                                   idx, generator)
        finally:
            self._proj = None


def caption_loss(logits: torch.Tensor, labels: torch.Tensor,
                 label_smoothing: float = 0.1) -> torch.Tensor:
    """VTG: next-token cross-entropy (``logits[:, :-1]`` vs ``labels[:, 1:]``), smoothed 0.1
    as ``BertLMHeadModel``'s loss; -100 labels ignored."""
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                           labels[:, 1:].reshape(-1), ignore_index=-100,
                           label_smoothing=label_smoothing)
