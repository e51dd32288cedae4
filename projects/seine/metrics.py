"""The paper's three transition criteria, measured with a CLIP model from a local path.

The paper (Sec. 5) names the criteria but not the CLIP backbone nor the frame pairs; the
released code has no metric. Our definitions (all cosine similarities of L2-normalised CLIP
embeddings, reported x100):

* ``temporal_consistency``: mean over the F-1 ADJACENT frame pairs (t, t+1) of the whole clip.
* ``semantic_similarity``: mean over the INTERMEDIATE frames 1..F-2 of the mean similarity to
  the two scene images (``sim_first`` / ``sim_last`` are also reported separately).
* ``text_alignment`` (CLIPSIM): mean over ALL F frames of the similarity to the prompt.

The CLIP model is whatever local transformers ``CLIPModel`` folder you give (the paper's is
unspecified; ViT-L/14, the text tower of SD-1.4, is a natural choice and what we document).
Frames are resized to the model's ``image_size`` (bicubic, no crop) and normalised with
CLIP's mean / std.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from torch import nn

from mmvideofm.registry import METRICS

__all__ = ['TransitionCLIPScorer', 'SEINETransitionMetric', 'CLIP_MEAN', 'CLIP_STD']

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def _embedding(out) -> torch.Tensor:
    """Projected CLIP embedding: a tensor (transformers 4) or ``pooler_output`` (5)."""
    return (out if isinstance(out, torch.Tensor) else out.pooler_output).float()


def _to_unit(frames: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) uint8 / [-1, 1] float -> [0, 1] float."""
    if frames.dtype == torch.uint8:
        return frames.float() / 255.
    return (frames.float().clamp(-1, 1) + 1) / 2


class TransitionCLIPScorer:
    """CLIP image / text embeddings and the three scores of one clip.

    Args:
        model: a transformers ``CLIPModel`` or a local folder holding one.
        tokenizer: a tokenizer with the HF call signature (default: the folder's).
        device: where CLIP runs.
    """

    def __init__(self, model: nn.Module | str, tokenizer=None,
                 device: str | torch.device = 'cpu') -> None:
        from transformers import CLIPModel
        if isinstance(model, str):
            path = model
            model = CLIPModel.from_pretrained(path, local_files_only=True)
            if tokenizer is None:
                from transformers import CLIPTokenizer
                tokenizer = CLIPTokenizer.from_pretrained(path, local_files_only=True)
        if tokenizer is None:
            raise ValueError('give the CLIP tokenizer when the model is a module')
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.device = torch.device(device)
        self.image_size = model.config.vision_config.image_size

    @torch.no_grad()
    def image_features(self, frames: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N, D) normalised embeddings."""
        x = F.interpolate(_to_unit(frames), size=(self.image_size, self.image_size),
                          mode='bicubic', align_corners=False).clamp(0, 1)
        mean = torch.tensor(CLIP_MEAN)[:, None, None]
        std = torch.tensor(CLIP_STD)[:, None, None]
        x = ((x - mean) / std).to(self.device)
        return F.normalize(_embedding(self.model.get_image_features(pixel_values=x)), dim=-1)

    @torch.no_grad()
    def text_features(self, texts: Sequence[str]) -> torch.Tensor:
        """(N, D) normalised embeddings of ``texts``."""
        tok = self.tokenizer(list(texts), padding='max_length', truncation=True,
                             max_length=77, return_tensors='pt')
        ids = tok['input_ids'].to(self.device)
        return F.normalize(_embedding(self.model.get_text_features(input_ids=ids)), dim=-1)

    def score(self, frames: torch.Tensor, scenes: torch.Tensor | None = None,
              prompt: str | None = None) -> dict[str, float]:
        """The criteria of one clip (F, 3, H, W); ``scenes`` (2, 3, h, w) the two scene
        images; ``prompt`` the transition text."""
        if frames.dim() != 4 or len(frames) < 2:
            raise ValueError(f'frames must be (F >= 2, 3, H, W), got {tuple(frames.shape)}')
        feats = self.image_features(frames)
        out = {'temporal_consistency': 100 * (feats[:-1] * feats[1:]).sum(-1).mean().item()}
        if scenes is not None:
            if len(scenes) != 2:
                raise ValueError(f'scenes must hold the 2 scene images, got {len(scenes)}')
            s = self.image_features(scenes)
            mid = feats[1:-1] if len(feats) > 2 else feats
            first, last = (mid @ s[0]).mean().item(), (mid @ s[1]).mean().item()
            out.update(semantic_similarity=100 * (first + last) / 2, sim_first=100 * first,
                       sim_last=100 * last)
        if prompt is not None:
            t = self.text_features([prompt])[0]
            out['text_alignment'] = 100 * (feats @ t).mean().item()
        return out


@METRICS.register_module()
class SEINETransitionMetric(BaseMetric):
    """mmengine metric over generated transitions.

    Each data sample is a dict with ``frames`` (F, 3, H, W) and optionally ``scenes``
    (2, 3, h, w) and ``prompt``. Args as :class:`TransitionCLIPScorer` (``clip``: a local
    CLIP folder or module).
    """

    default_prefix = 'seine'

    def __init__(self, clip: str | nn.Module, tokenizer=None, device: str = 'cpu',
                 collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.scorer = TransitionCLIPScorer(clip, tokenizer, device)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(self.scorer.score(sample['frames'], sample.get('scenes'),
                                                  sample.get('prompt')))

    def compute_metrics(self, results: list[dict]) -> dict[str, float]:
        keys = sorted({k for r in results for k in r})
        return {k: sum(r[k] for r in results if k in r) / sum(k in r for r in results)
                for k in keys}
