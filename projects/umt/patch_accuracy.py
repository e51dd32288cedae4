"""Per-patch accuracy of the synthetic image teacher (``SyntheticImageTeacher``)."""
from __future__ import annotations

import torch
from mmengine.evaluator import BaseMetric

from mmvideofm.registry import METRICS

__all__ = ['PatchAccuracy']


@METRICS.register_module()
class PatchAccuracy(BaseMetric):
    """``patch/object_acc``: accuracy on patches whose target is an object (class > 0), the
    number that says whether the teacher knows the objects; ``patch/acc``: on all patches."""

    default_prefix = 'patch'

    def process(self, data_batch, data_samples) -> None:
        for sample in data_samples:
            pred = torch.as_tensor(sample['pred_patch_labels']).flatten()
            gt = torch.as_tensor(sample['gt_patch_labels']).flatten()
            fg = gt > 0
            self.results.append(((pred == gt).sum().item(), gt.numel(),
                                 (pred[fg] == gt[fg]).sum().item(), int(fg.sum())))

    def compute_metrics(self, results: list) -> dict[str, float]:
        right, total, fg_right, fg_total = (sum(r[i] for r in results) for i in range(4))
        if not fg_total:
            raise ValueError('PatchAccuracy: no object patch in the evaluated frames')
        return dict(object_acc=100. * fg_right / fg_total, acc=100. * right / total)
