"""The synthetic world's image teacher: a tiny CLIP visual tower that knows what each patch
shows, trained on single frames (``configs/umt/umt-tiny-p*_teacher_synthetic-*.py``).

UMT distils an image foundation model into a video student. On the synthetic world that
model is trained here: ``CLIPVisual`` tokens -> CLIP's zero-shot head (cosine to learned
class prototypes, the stand-ins for text embeddings, times a fixed logit scale) ->
cross-entropy on per-patch classes built by a dataset transform
(``SyntheticPatchShapeTargets``). Frames are independent: a ``(B, 3, T, H, W)`` batch is
``B*T`` images. Its runner checkpoint is loaded by the stage-1 config's teacher
(``init_cfg=dict(type='Pretrained', prefix='visual.')``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mmvideofm.constants import IMAGENET_PREPROCESSOR
from mmvideofm.models.algorithms.base import BaseVideoAlgorithm
from mmvideofm.models.utils import as_clip_batch
from mmvideofm.registry import MODELS

__all__ = ['CosineProbe', 'SyntheticImageTeacher']


class CosineProbe(nn.Module):
    """CLIP's zero-shot classifier: ``logit_scale * cos(token, prototype_c)``."""

    def __init__(self, dim: int, num_classes: int, logit_scale: float = 10.) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(num_classes, dim) * dim ** -0.5)
        self.logit_scale = logit_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logit_scale * F.normalize(x, dim=-1) @ F.normalize(self.weight, dim=-1).t()


@MODELS.register_module()
class SyntheticImageTeacher(BaseVideoAlgorithm):
    """Image tower + cosine head trained on per-patch class targets of single frames.

    Args:
        visual: ``CLIPVisual`` config (the tower the UMT stage-1 teacher loads); trained
            here, so ``frozen`` is forced off.
        num_classes: Patch classes including background 0 (``len(SHAPES) + 1`` for
            ``SyntheticPatchShapeTargets``).
        logit_scale: Fixed scale of the cosine logits (CLIP's learned one is ~100).
        data_preprocessor: Defaults to ImageNet statistics (as the UMT stage-1 configs).
    """

    default_data_preprocessor = IMAGENET_PREPROCESSOR

    def __init__(self, visual: dict, num_classes: int, logit_scale: float = 10.,
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.visual = MODELS.build(dict(visual, frozen=False))
        self.probe = CosineProbe(self.visual.output_dim, num_classes, logit_scale)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Last returned layer's patch tokens, ``(B, T*G*G, output_dim)`` (one view per clip)."""
        return self.visual(as_clip_batch(inputs))[0][-1]

    def patch_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """Per-patch class logits ``(B, T*G*G, num_classes)``."""
        return self.probe(self.extract_feat(inputs))

    @staticmethod
    def _targets(data_samples: list, device: torch.device) -> torch.Tensor:
        if not data_samples or 'gt_patch_labels' not in data_samples[0]:
            raise KeyError('SyntheticImageTeacher needs data_samples[i].gt_patch_labels: add '
                           'SyntheticPatchShapeTargets to the pipeline and '
                           "PackActionInputs(algorithm_keys=('gt_patch_labels',))")
        return torch.stack([torch.as_tensor(s.gt_patch_labels) for s in data_samples]).to(
            device).flatten(1)  # (B, T*G*G)

    def loss(self, inputs: torch.Tensor, data_samples: list | None = None
             ) -> dict[str, torch.Tensor]:
        logits = self.patch_logits(inputs)
        targets = self._targets(data_samples, logits.device)
        return dict(loss_patch=F.cross_entropy(logits.flatten(0, 1), targets.flatten()))

    def predict(self, inputs: torch.Tensor, data_samples: list | None = None) -> list:
        """Sets ``pred_patch_labels`` ``(T*G*G,)`` on each data sample."""
        pred = self.patch_logits(inputs).argmax(-1).cpu()
        for sample, p in zip(data_samples, pred):
            sample.set_field(p, 'pred_patch_labels')
        return data_samples
