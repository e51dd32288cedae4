"""Video-text losses of the ALBEF / UMT family: VTC, VTM (hard negatives) and MLM.

``VTCLoss`` gathers features from every rank with gradients (torch's differentiable
``all_gather``), ``VTMLoss`` mines one negative video per text and one negative text per video
from the contrastive similarities and classifies the fused pairs, ``MLMLoss`` is cross-entropy
on the tokens :func:`mask_text_tokens` hid. Randomness comes from explicit ``torch.Generator`` s.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
import torch.distributed as dist
import torch.distributed.nn.functional as dist_nn
import torch.nn.functional as F
from torch import nn

from mmvideofm.registry import MODELS

__all__ = ['all_gather_with_grad', 'video_text_similarity', 'VTCLoss', 'VTMLoss', 'MLMLoss',
           'mask_text_tokens']


def all_gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` from all ranks along dim 0, differentiable; identity on one process.

    torch's ``all_gather`` with autograd: the backward sums every rank's gradient of this
    rank's slice (as UMT's ``allgather_wgrad``).
    """
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return x
    with warnings.catch_warnings():
        # torch 2.14 marks it deprecated in favour of the private _functional_collectives
        warnings.filterwarnings('ignore', 'torch.distributed.nn.functional.all_gather',
                                FutureWarning)
        out = torch.cat(dist_nn.all_gather(x.contiguous()), dim=0)
    if out.requires_grad:
        # its backward exchanges the incoming gradient as is, and gloo scrambles strided
        # tensors (pytorch/pytorch#192920): VTC's text gradient arrives transposed
        out.register_hook(lambda grad: grad.contiguous())
    return out


def video_text_similarity(vision_proj: torch.Tensor, text_proj: torch.Tensor,
                          temp: float | torch.Tensor = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosine similarities divided by ``temp``: ``(sim_v2t, sim_t2v)``, each ``(Bv, Bt)``.

    ``vision_proj`` is ``(Bv, C)`` or ``(Bv, T, C)`` (per-frame features: the similarity is the
    mean over frames, as UMT's ``get_sim``); ``text_proj`` is ``(Bt, C)``.
    """
    if vision_proj.ndim == 2:
        vision_proj = vision_proj.unsqueeze(1)
    vision_proj = F.normalize(vision_proj, dim=-1)
    text_proj = F.normalize(text_proj, dim=-1)
    sim_v2t = torch.einsum('mld,nd->mln', vision_proj, text_proj).mean(1) / temp
    return sim_v2t, sim_v2t.T


def _positive_mask(n: int, idx: torch.Tensor | None, device, dtype) -> torch.Tensor:
    """``(n, n)`` 1 where the pair matches (same ``idx``, or the diagonal without ``idx``)."""
    if idx is None:
        return torch.eye(n, device=device, dtype=dtype)
    idx = idx.view(-1, 1)
    return torch.eq(idx, idx.T).to(dtype)


@MODELS.register_module()
class VTCLoss(nn.Module):
    """Video-text contrastive loss, symmetric, over features gathered from all ranks.

    Pairs with the same ``idx`` (several captions of one video) are all positives; the
    target distribution spreads evenly over them.
    """

    def __init__(self, all_gather: bool = True, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.all_gather = all_gather
        self.loss_weight = loss_weight

    def forward(self, vision_proj: torch.Tensor, text_proj: torch.Tensor,
                temp: float | torch.Tensor, idx: torch.Tensor | None = None) -> torch.Tensor:
        if self.all_gather:
            vision_proj = all_gather_with_grad(vision_proj)
            text_proj = all_gather_with_grad(text_proj)
            if idx is not None:
                idx = all_gather_with_grad(idx)
        sim_v2t, sim_t2v = video_text_similarity(vision_proj, text_proj, temp)
        with torch.no_grad():
            targets = _positive_mask(sim_v2t.shape[0], idx, sim_v2t.device, sim_v2t.dtype)
            targets = targets / targets.sum(1, keepdim=True)
        loss_v2t = -(F.log_softmax(sim_v2t, dim=1) * targets).sum(1).mean()
        loss_t2v = -(F.log_softmax(sim_t2v, dim=1) * targets).sum(1).mean()
        return self.loss_weight * (loss_v2t + loss_t2v) / 2


FusionFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


@MODELS.register_module()
class VTMLoss(nn.Module):
    """Video-text matching: binary classification of fused pairs with mined negatives.

    The batch yields ``B`` positives, ``B`` (negative video, text) and ``B`` (video, negative
    text) pairs. With ``hard_negatives`` the negatives are drawn in proportion to
    ``softmax(sim)`` with positives zeroed (UMT's ``vtm_hard_neg=True``); otherwise uniformly
    among non-matching items.
    """

    def __init__(self, hard_negatives: bool = True, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.hard_negatives = hard_negatives
        self.loss_weight = loss_weight

    @torch.no_grad()
    def sample_negatives(self, sim_v2t: torch.Tensor, idx: torch.Tensor | None = None,
                         generator: torch.Generator | None = None
                         ) -> tuple[torch.Tensor, torch.Tensor]:
        """Indices ``(video_neg_for_each_text, text_neg_for_each_video)``, each ``(B,)``."""
        n = sim_v2t.shape[0]
        if n < 2:
            raise ValueError('VTM needs at least 2 pairs per batch to draw negatives')
        pos = _positive_mask(n, idx, sim_v2t.device, sim_v2t.dtype).bool()
        if self.hard_negatives:
            w_v2t = F.softmax(sim_v2t.float() + 1e-4, dim=1).masked_fill(pos, 0)
            w_t2v = F.softmax(sim_v2t.T.float() + 1e-4, dim=1).masked_fill(pos, 0)
        else:
            w_v2t = (~pos).float()
            w_t2v = (~pos).float()
        w_v2t = torch.nan_to_num(w_v2t, nan=1e-2, posinf=1e-2, neginf=1e-2)
        w_t2v = torch.nan_to_num(w_t2v, nan=1e-2, posinf=1e-2, neginf=1e-2)
        # rows whose items all match (e.g. one video repeated) fall back to uniform
        w_v2t[w_v2t.sum(1) <= 0] = 1.0
        w_t2v[w_t2v.sum(1) <= 0] = 1.0
        video_neg = torch.multinomial(w_t2v, 1, generator=generator).squeeze(1)
        text_neg = torch.multinomial(w_v2t, 1, generator=generator).squeeze(1)
        return video_neg, text_neg

    def forward(self, fusion_fn: FusionFn, vision_embeds: torch.Tensor,
                text_embeds: torch.Tensor, text_atts: torch.Tensor, sim_v2t: torch.Tensor,
                idx: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """``fusion_fn(text_embeds, text_atts, vision_embeds) -> (3B, 2)`` matching logits."""
        video_neg, text_neg = self.sample_negatives(sim_v2t, idx, generator)
        vision_all = torch.cat([vision_embeds, vision_embeds[video_neg], vision_embeds], dim=0)
        text_all = torch.cat([text_embeds, text_embeds, text_embeds[text_neg]], dim=0)
        atts_all = torch.cat([text_atts, text_atts, text_atts[text_neg]], dim=0)
        logits = fusion_fn(text_all, atts_all, vision_all)  # (3B, 2)
        b = vision_embeds.shape[0]
        labels = torch.zeros(3 * b, dtype=torch.long, device=logits.device)
        labels[:b] = 1
        return self.loss_weight * F.cross_entropy(logits, labels)


def mask_text_tokens(input_ids: torch.Tensor, vocab_size: int, mask_token_id: int,
                     pad_token_id: int, cls_token_id: int, mask_prob: float = 0.5,
                     generator: torch.Generator | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking as UMT's ``MLMLoss.mask``: returns ``(masked_ids, labels)``.

    Each non-pad, non-[CLS] token is selected with ``mask_prob``; a selected token becomes
    [MASK] with p=0.8, else a random token with p=0.5, else stays. ``labels`` is -100 where
    nothing was selected.
    """
    if not 0. < mask_prob < 1.:
        raise ValueError(f'mask_prob must be in (0, 1), got {mask_prob}')
    device = input_ids.device

    def bern(p: float) -> torch.Tensor:
        return torch.rand(input_ids.shape, generator=generator, device=device) < p

    ids = input_ids.clone()
    labels = input_ids.clone()
    selected = bern(mask_prob) & (ids != pad_token_id) & (ids != cls_token_id)
    labels[~selected] = -100
    replaced = bern(0.8) & selected
    ids[replaced] = mask_token_id
    randomised = bern(0.5) & selected & ~replaced
    random_words = torch.randint(vocab_size, ids.shape, generator=generator, device=device)
    ids[randomised] = random_words[randomised]
    return ids, labels


@MODELS.register_module()
class MLMLoss(nn.Module):
    """Masked language modelling: cross-entropy on selected tokens (labels != -100)."""

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``logits`` ``(B, L, V)``, ``labels`` ``(B, L)``."""
        if not (labels != -100).any():
            return logits.sum() * 0.
        return self.loss_weight * F.cross_entropy(logits.flatten(0, 1), labels.flatten(),
                                                  ignore_index=-100)
