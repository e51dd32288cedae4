"""Point-cloud loading and transforms (mmdet3d-style, without mmdet3d).

Results dicts carry ``points`` (N, C) float32 numpy arrays (xyz first), optional
``gt_label`` (int) and ``gt_part_label`` (N,), and ``sample_idx`` / ``source`` used in
error messages.
"""
from __future__ import annotations

import os

import numpy as np
import torch
from mmaction.structures import ActionDataSample
from mmcv.transforms import BaseTransform

from mmvideofm.registry import TRANSFORMS

__all__ = ['load_points', 'validate_points', 'LoadPointsFromFile', 'PointSample',
           'NormalizePointsToUnitSphere', 'RandomScaleTranslatePoints', 'RandomRotatePoints',
           'ShufflePoints', 'AddPointHeight', 'PackPointCloudInputs']


def _name(results: dict) -> str:
    return str(results.get('source', results.get('sample_idx', '<unknown sample>')))


def validate_points(points: np.ndarray, name: str) -> np.ndarray:
    """Check (N, C>=3), non-empty, finite; errors name the sample."""
    if points.ndim != 2 or points.shape[1] < 3:
        raise ValueError(f'{name}: points must be (N, C>=3), got shape {points.shape}')
    if points.shape[0] == 0:
        raise ValueError(f'{name}: empty point cloud')
    bad = ~np.isfinite(points[:, :3]).all(1)
    if bad.any():
        raise ValueError(f'{name}: {int(bad.sum())} point(s) with NaN/inf coordinates '
                         f'(first at row {int(np.flatnonzero(bad)[0])})')
    return points


def load_points(path: str, load_dim: int = 4, use_dim: int | list = 3) -> dict:
    """Read .npy / .bin / .ply / .pcd / .txt into ``dict(points=..., [gt_part_label])``.

    ``.bin``: flat float32 with ``load_dim`` values per point (KITTI: 4); ``use_dim``
    keeps the first ``use_dim`` (or the listed) columns. ``.ply``/``.pcd`` go through
    open3d. ``.txt`` is the ShapeNetPart layout ``x y z nx ny nz part``.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'point cloud file not found: {path}')
    if os.path.getsize(path) == 0:
        raise ValueError(f'{path}: empty file')
    ext = os.path.splitext(path)[1].lower()
    out = {}
    if ext == '.npy':
        pts = np.load(path, allow_pickle=False)
    elif ext == '.bin':
        raw = np.fromfile(path, dtype=np.float32)
        if raw.size % load_dim:
            raise ValueError(f'{path}: {raw.size} floats is not a multiple of load_dim={load_dim}')
        pts = raw.reshape(-1, load_dim)
    elif ext in ('.ply', '.pcd'):
        import open3d as o3d
        pcd = o3d.io.read_point_cloud(path)
        pts = np.asarray(pcd.points)
        if pts.size == 0:
            raise ValueError(f'{path}: open3d read no points (empty or unreadable file)')
    elif ext == '.txt':
        data = np.loadtxt(path, dtype=np.float32, ndmin=2)
        pts = data[:, :3]
        if data.shape[1] >= 7:
            out['gt_part_label'] = data[:, -1].astype(np.int64)
    else:
        raise ValueError(f'{path}: unsupported point cloud extension {ext!r} '
                         '(.npy, .bin, .ply, .pcd, .txt)')
    pts = np.asarray(pts, dtype=np.float32)
    if pts.ndim != 2:
        raise ValueError(f'{path}: expected a 2-D (N, C) array, got shape {pts.shape}')
    if ext in ('.npy', '.bin'):
        cols = list(range(use_dim)) if isinstance(use_dim, int) else list(use_dim)
        pts = pts[:, cols]
    out['points'] = validate_points(pts, path)
    return out


@TRANSFORMS.register_module()
class LoadPointsFromFile(BaseTransform):
    """Load ``results['pts_path']`` (see :func:`load_points`)."""

    def __init__(self, load_dim: int = 4, use_dim: int | list = 3) -> None:
        self.load_dim, self.use_dim = load_dim, use_dim

    def transform(self, results: dict) -> dict:
        results.update(load_points(results['pts_path'], self.load_dim, self.use_dim))
        results.setdefault('source', results['pts_path'])
        return results


@TRANSFORMS.register_module()
class PointSample(BaseTransform):
    """Keep ``num_points`` points.

    Args:
        num_points: points to keep.
        mode: ``'first'`` (official ModelNet40/ScanObjectNN loaders: the first N),
            ``'random'`` (without replacement) or ``'fps'`` (farthest point sampling).
        on_fewer: policy for clouds with fewer points: ``'resample'`` (pad with
            points drawn with replacement) or ``'error'``.
        replace: with ``mode='random'``, draw with replacement even from larger clouds
            (the official ShapeNetPart loader: ``np.random.choice(n, N, replace=True)``).
    """

    def __init__(self, num_points: int, mode: str = 'first', on_fewer: str = 'resample',
                 replace: bool = False) -> None:
        if mode not in ('first', 'random', 'fps'):
            raise ValueError(f"mode must be 'first', 'random' or 'fps', got {mode!r}")
        if on_fewer not in ('resample', 'error'):
            raise ValueError(f"on_fewer must be 'resample' or 'error', got {on_fewer!r}")
        self.num_points, self.mode, self.on_fewer = num_points, mode, on_fewer
        self.replace = replace

    def _select(self, results: dict, n: int) -> np.ndarray:
        if self.mode == 'random' and self.replace:
            return np.random.choice(n, self.num_points, replace=True)
        if n < self.num_points:
            if self.on_fewer == 'error':
                raise ValueError(f'{_name(results)}: {n} points, fewer than the '
                                 f'{self.num_points} requested (on_fewer="error")')
            extra = np.random.choice(n, self.num_points - n, replace=True)
            return np.concatenate([np.arange(n), extra])
        if self.mode == 'first':
            return np.arange(self.num_points)
        if self.mode == 'random':
            return np.random.choice(n, self.num_points, replace=False)
        from mmvideofm.ops import furthest_point_sample
        xyz = torch.from_numpy(np.ascontiguousarray(results['points'][:, :3]))[None]
        return furthest_point_sample(xyz, self.num_points)[0].numpy()

    def transform(self, results: dict) -> dict:
        validate_points(results['points'], _name(results))
        sel = self._select(results, len(results['points']))
        results['points'] = results['points'][sel]
        if results.get('gt_part_label') is not None:
            results['gt_part_label'] = results['gt_part_label'][sel]
        return results


@TRANSFORMS.register_module()
class NormalizePointsToUnitSphere(BaseTransform):
    """Centre xyz on their mean and scale to max radius 1 (other channels kept)."""

    def transform(self, results: dict) -> dict:
        pts = results['points'].copy()
        xyz = pts[:, :3] - pts[:, :3].mean(0)
        radius = np.linalg.norm(xyz, axis=1).max()
        pts[:, :3] = xyz / radius if radius > 0 else xyz
        results['points'] = pts
        return results


@TRANSFORMS.register_module()
class RandomScaleTranslatePoints(BaseTransform):
    """Per-axis scale in ``scale_range`` and shift in ``translate_range`` (official
    ``translate_pointcloud``: 2/3..3/2 and -0.2..0.2)."""

    def __init__(self, scale_range=(2 / 3, 3 / 2), translate_range=(-0.2, 0.2)) -> None:
        self.scale_range, self.translate_range = scale_range, translate_range

    def transform(self, results: dict) -> dict:
        pts = results['points'].copy()
        s = np.random.uniform(*self.scale_range, size=3)
        t = np.random.uniform(*self.translate_range, size=3)
        pts[:, :3] = pts[:, :3] * s + t
        results['points'] = pts.astype(np.float32)
        return results


@TRANSFORMS.register_module()
class RandomRotatePoints(BaseTransform):
    """Rotate xyz about ``axis`` (1 = y, the ScanObjectNN gravity axis) by a random angle."""

    def __init__(self, axis: int = 1, angle_range=(-np.pi, np.pi)) -> None:
        self.axis, self.angle_range = axis, angle_range

    def transform(self, results: dict) -> dict:
        a = np.random.uniform(*self.angle_range)
        c, s = np.cos(a), np.sin(a)
        i, j = [k for k in range(3) if k != self.axis]
        rot = np.eye(3)
        rot[i, i], rot[i, j], rot[j, i], rot[j, j] = c, -s, s, c
        pts = results['points'].copy()
        pts[:, :3] = pts[:, :3] @ rot.T
        results['points'] = pts.astype(np.float32)
        return results


@TRANSFORMS.register_module()
class ShufflePoints(BaseTransform):
    """Random point order (the official training loaders shuffle; FPS starts at row 0)."""

    def transform(self, results: dict) -> dict:
        perm = np.random.permutation(len(results['points']))
        results['points'] = results['points'][perm]
        if results.get('gt_part_label') is not None:
            results['gt_part_label'] = results['gt_part_label'][perm]
        return results


@TRANSFORMS.register_module()
class AddPointHeight(BaseTransform):
    """Append ``height = p[gravity_dim] - min`` as a channel (ScanObjectNN, ``gravity_dim=1``).

    Put it before ``NormalizePointsToUnitSphere``: the official height is taken on the
    raw cloud.
    """

    def __init__(self, gravity_dim: int = 1) -> None:
        self.gravity_dim = gravity_dim

    def transform(self, results: dict) -> dict:
        pts = results['points']
        h = pts[:, self.gravity_dim] - pts[:, self.gravity_dim].min()
        results['points'] = np.concatenate([pts, h[:, None]], 1).astype(np.float32)
        return results


@TRANSFORMS.register_module()
class PackPointCloudInputs(BaseTransform):
    """``inputs``: (N, C) float tensor; ``data_samples``: ``ActionDataSample`` with
    ``gt_label`` and, for segmentation, ``gt_part_label`` (N,)."""

    def transform(self, results: dict) -> dict:
        pts = validate_points(np.asarray(results['points'], np.float32), _name(results))
        sample = ActionDataSample()
        if results.get('gt_label') is not None:
            sample.set_gt_label(int(results['gt_label']))
        if results.get('gt_part_label') is not None:
            sample.set_field(torch.as_tensor(results['gt_part_label']).long(), 'gt_part_label')
        sample.set_metainfo(dict(sample_idx=results.get('sample_idx'),
                                 source=results.get('source')))
        return dict(inputs=torch.from_numpy(np.ascontiguousarray(pts)), data_samples=sample)
