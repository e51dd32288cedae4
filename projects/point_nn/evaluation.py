"""Metrics: instance mIoU for part segmentation; the labelled oracle gamma sweep."""
from __future__ import annotations

import numpy as np
from mmengine.evaluator import BaseMetric

from mmvideofm.registry import METRICS

__all__ = ['PartInstanceMIoU', 'OracleGammaAccuracy', 'shape_iou']


def shape_iou(pred: np.ndarray, target: np.ndarray, num_parts: int = 50) -> float:
    """Mean IoU over the parts present in ``target`` (official ``compute_overall_iou``)."""
    ious = []
    for part in range(num_parts):
        if (target == part).any():
            inter = np.logical_and(pred == part, target == part).sum()
            union = np.logical_or(pred == part, target == part).sum()
            ious.append(inter / union)
    return float(np.mean(ious)) if ious else float('nan')


@METRICS.register_module()
class PartInstanceMIoU(BaseMetric):
    """Instance mIoU (%) over shapes, as ``run_nn_seg.py`` reports it."""

    default_prefix = 'part_seg'

    def __init__(self, num_parts: int = 50, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_parts = num_parts

    def process(self, data_batch, data_samples) -> None:
        for ds in data_samples:
            self.results.append(shape_iou(np.asarray(ds['pred_part_label']),
                                          np.asarray(ds['gt_part_label']), self.num_parts))

    def compute_metrics(self, results: list) -> dict:
        return dict(instance_miou=100.0 * float(np.nanmean(results)))


@METRICS.register_module()
class OracleGammaAccuracy(BaseMetric):
    """The official gamma sweep, **tuned on the test set**; keys say so.

    Needs ``PointNNClassifier(oracle_gamma_search=True)``. The first gamma reaching the
    best accuracy wins (strict ``>``), as ``run_nn_cls.py``.
    """

    default_prefix = 'point_nn'

    def process(self, data_batch, data_samples) -> None:
        for ds in data_samples:
            self.results.append((np.asarray(ds['oracle_gamma_preds']),
                                 int(ds['gt_label'].reshape(-1)[0]),
                                 np.asarray(ds['oracle_gammas'])))

    def compute_metrics(self, results: list) -> dict:
        preds = np.stack([r[0] for r in results])  # (num_samples, num_gammas)
        labels = np.array([r[1] for r in results])
        accs = 100.0 * (preds == labels[:, None]).mean(0)
        best = int(np.argmax(accs))  # first maximum
        return {'acc_tuned_on_test_set': float(accs[best]),
                'gamma_tuned_on_test_set': float(results[0][2][best])}


