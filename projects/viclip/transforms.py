"""The official frame sampling of ViCLIP's training and evaluation (InternVideo / UMT
``dataset/video_utils.py::get_frame_indices``)."""
from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform

from mmvideofm.registry import TRANSFORMS

__all__ = ['ViCLIPSegmentSample', 'segment_indices']


def segment_indices(num_frames: int, total: int, sample: str = 'middle',
                    rng: np.random.RandomState | None = None) -> np.ndarray:
    """``num_frames`` indices of a ``total``-frame video, as the official ``get_frame_indices``.

    The video is cut into ``k = min(num_frames, total)`` segments at
    ``np.linspace(0, total, k + 1).astype(int)``; ``'middle'`` takes ``(start + end) // 2`` of
    each (``end`` = the segment's last frame), ``'rand'`` a random frame in ``[start, end)``
    (the official range never draws a segment's last frame; when a segment has one frame, ``k``
    sorted random frames of the video instead). A video shorter than ``num_frames`` is padded
    with its last index.
    """
    if sample not in ('middle', 'rand'):
        raise ValueError(f"sample must be 'middle' or 'rand', got {sample!r}")
    if total < 1:
        raise ValueError('the video has no frames')
    rng = rng or np.random
    k = min(num_frames, total)
    edges = np.linspace(0, total, k + 1).astype(int)
    starts, ends = edges[:-1], edges[1:] - 1
    if sample == 'middle':
        inds = (starts + ends) // 2
    elif np.any(ends <= starts):
        inds = np.sort(rng.permutation(total)[:k])
    else:
        inds = np.array([rng.randint(s, e) for s, e in zip(starts, ends)])
    return np.concatenate([inds, np.full(num_frames - k, inds[-1])]).astype(np.int64)


@TRANSFORMS.register_module()
class ViCLIPSegmentSample(BaseTransform):
    """Official ViCLIP frame sampling: segment middles at test time (``sample='middle'``),
    a random frame per segment in training (``'rand'``); see :func:`segment_indices`.

    Args:
        clip_len: Frames per clip (8).
        sample: ``'middle'`` or ``'rand'``.
    """

    def __init__(self, clip_len: int = 8, sample: str = 'middle') -> None:
        if sample not in ('middle', 'rand'):
            raise ValueError(f"sample must be 'middle' or 'rand', got {sample!r}")
        self.clip_len, self.sample = clip_len, sample

    def transform(self, results: dict) -> dict:
        inds = segment_indices(self.clip_len, int(results['total_frames']), self.sample)
        results['frame_inds'] = inds + int(results.get('start_index', 0))
        results.update(clip_len=self.clip_len, frame_interval=None, num_clips=1)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(clip_len={self.clip_len}, sample={self.sample!r})'
