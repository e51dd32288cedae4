"""Render point clouds (optionally coloured by class / part) to PNG without a display."""
from __future__ import annotations

import numpy as np
from mmengine.hooks import Hook

from mmvideofm.registry import HOOKS

__all__ = ['render_point_cloud', 'PointCloudVisualizationHook']


def render_point_cloud(points, out_file: str, labels=None, title: str | None = None,
                       elev: float = 20.0, azim: float = -60.0, point_size: float = 4.0,
                       dpi: int = 100) -> str:
    """Scatter (N, >=3) points in 3D with matplotlib's Agg backend; returns ``out_file``.

    ``labels`` (N,) int colours the points (tab20), e.g. predicted part labels.
    """
    import matplotlib
    matplotlib.use('Agg', force=False)
    import matplotlib.pyplot as plt

    pts = np.asarray(points, dtype=np.float32)
    if pts.ndim != 2 or pts.shape[1] < 3 or len(pts) == 0:
        raise ValueError(f'points must be a non-empty (N, >=3) array, got {pts.shape}')
    fig = plt.figure(figsize=(4, 4), dpi=dpi)
    ax = fig.add_subplot(projection='3d')
    colours = None if labels is None else plt.cm.tab20(np.asarray(labels) % 20)
    ax.scatter(pts[:, 0], pts[:, 1], pts[:, 2], s=point_size, c=colours if colours is not None
               else pts[:, 2], cmap=None if colours is not None else 'viridis', linewidths=0)
    ax.view_init(elev=elev, azim=azim)
    lim = float(np.abs(pts[:, :3]).max()) or 1.0
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), zlim=(-lim, lim))
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    fig.savefig(out_file, bbox_inches='tight')
    plt.close(fig)
    return out_file


@HOOKS.register_module()
class PointCloudVisualizationHook(Hook):
    """Render the first ``max_samples`` test clouds with their predictions to PNG.

    Segmentation samples are coloured by ``pred_part_label``; classification samples get
    ``pred / gt`` in the title. Files go to ``<work_dir>/<out_dir>/``.
    """

    def __init__(self, max_samples: int = 8, out_dir: str = 'vis') -> None:
        self.max_samples, self.out_dir = max_samples, out_dir
        self._count = 0

    def before_test(self, runner) -> None:
        self._count = 0

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        import os
        inputs = (data_batch or {}).get('inputs', [])
        for points, sample in zip(inputs, outputs or []):
            if self._count >= self.max_samples:
                return
            labels, title = None, None
            if 'pred_part_label' in sample:
                labels = np.asarray(sample.pred_part_label)
            elif 'pred_label' in sample:
                gt = int(sample.gt_label) if 'gt_label' in sample else '?'
                title = f'pred {int(sample.pred_label)} / gt {gt}'
            path = os.path.join(runner.work_dir, self.out_dir, f'{self._count:04d}.png')
            os.makedirs(os.path.dirname(path), exist_ok=True)
            render_point_cloud(np.asarray(points)[:, :3], path, labels=labels, title=title, dpi=60)
            self._count += 1
