"""Per-patch targets read off the synthetic world's ground truth (an image teacher's labels).

``SyntheticVideoDataset`` puts the clip's objects (``gt_objects``: ``ObjectTrack`` s with
per-frame boxes and visibility) in the results; these transforms turn them into
``gt_patch_labels`` ``(T, G*G)`` int64 for the frames the pipeline sampled (``frame_inds``),
on the ``G x G`` grid of a ``patch_size`` ViT. Pack them with
``PackActionInputs(algorithm_keys=('gt_patch_labels',))``. No model code here: the
targets are a function of the ground truth only.
"""
from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform

from mmvideofm.registry import TRANSFORMS

from ..synthetic import COLORS, SHAPES

__all__ = ['SyntheticPatchShapeTargets', 'SyntheticPatchColorTargets']


class _SyntheticPatchTargets(BaseTransform):
    """Shared walk over the sampled frames and their visible objects."""

    #: number of classes, 0 = background
    num_classes: int

    def __init__(self, patch_size: int) -> None:
        if patch_size < 1:
            raise ValueError(f'patch_size must be >= 1, got {patch_size}')
        self.patch_size = int(patch_size)

    def transform(self, results: dict) -> dict:
        if 'gt_objects' not in results:
            raise KeyError(f'{type(self).__name__} needs the clip ground truth '
                           "(results['gt_objects']); use it with SyntheticVideoDataset")
        H, W = results.get('img_shape', results['original_shape'])
        if tuple(results.get('original_shape', (H, W))) != (H, W) or H != W:
            raise ValueError(f'{type(self).__name__} reads boxes in the rendered frame: put it '
                             f'before any resize / crop (img_shape {(H, W)}, original_shape '
                             f'{results.get("original_shape")}) and use square frames')
        if H % self.patch_size:
            raise ValueError(f'frame size {H} is not a multiple of patch_size '
                             f'{self.patch_size}')
        g = H // self.patch_size
        frame_inds = np.asarray(results['frame_inds']).reshape(-1)
        out = np.zeros((len(frame_inds), g, g), dtype=np.int64)
        for j, t in enumerate(frame_inds):
            for obj in results['gt_objects']:  # in drawing order: the topmost object wins
                if obj.visible[t]:
                    self.paint(out[j], obj, int(t), g)
        results['gt_patch_labels'] = out.reshape(len(frame_inds), g * g)
        return results

    def paint(self, grid: np.ndarray, obj, t: int, g: int) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f'{type(self).__name__}(patch_size={self.patch_size})'


@TRANSFORMS.register_module()
class SyntheticPatchShapeTargets(_SyntheticPatchTargets):
    """The patch holding an object's box centre gets ``1 + SHAPES.index(shape)``, every
    other patch 0: what an image model knows about appearance, nothing about motion."""

    num_classes = len(SHAPES) + 1

    def paint(self, grid: np.ndarray, obj, t: int, g: int) -> None:
        x0, y0, x1, y1 = (float(v) for v in obj.boxes[t])
        row = min(g - 1, max(0, int((y0 + y1) / 2 // self.patch_size)))
        col = min(g - 1, max(0, int((x0 + x1) / 2 // self.patch_size)))
        grid[row, col] = 1 + SHAPES.index(obj.shape)


@TRANSFORMS.register_module()
class SyntheticPatchColorTargets(_SyntheticPatchTargets):
    """Every patch whose centre lies in an object's box gets ``1 + COLORS.index(colour)``
    (its colour at that frame), the rest 0: identity and position of each object."""

    num_classes = len(COLORS) + 1

    def paint(self, grid: np.ndarray, obj, t: int, g: int) -> None:
        x0, y0, x1, y1 = (float(v) for v in obj.boxes[t])
        centres = (np.arange(g) + 0.5) * self.patch_size
        rows = (centres >= y0) & (centres < y1)
        cols = (centres >= x0) & (centres < x1)
        grid[rows[:, None] & cols[None, :]] = 1 + list(COLORS).index(obj.colors[t])
