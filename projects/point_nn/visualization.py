"""Render point clouds (optionally coloured by class / part) to PNG without a display."""
from __future__ import annotations

import numpy as np

__all__ = ['render_point_cloud']


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
