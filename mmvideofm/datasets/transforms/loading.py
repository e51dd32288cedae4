"""Video loading transforms: mmvideofm's reader behind mmaction2's sampling.

Pipeline::

    dict(type='VideoInit'),                          # open_video -> total_frames, avg_fps
    dict(type='VideoSampleFrames', clip_len=16, short_video='repeat_last'),
    dict(type='VideoDecode'),                        # -> imgs, original_shape, img_shape
    dict(type='mmaction.Resize', scale=(-1, 32)), ..., dict(type='mmaction.FormatShape', ...),
    dict(type='mmaction.PackActionInputs')

Short videos. A clip needs ``(clip_len - 1) * frame_interval + 1`` frames.
mmaction2's ``SampleFrames`` silently *loops* shorter videos; ``VideoSampleFrames``
makes the policy an explicit, documented argument:

- ``'repeat_last'`` (default): indices past the end repeat the last frame.
- ``'loop'``: mmaction2's behaviour (wrap around to the start).
- ``'error'``: raise :class:`ShortVideoError` (a ``VideoReadError``, so
  datasets with ``skip_bad_samples=True`` skip and log such videos).
"""
from __future__ import annotations

import numpy as np
from mmaction.datasets.transforms import SampleFrames
from mmcv.transforms import BaseTransform

from mmvideofm.registry import TRANSFORMS

from ..video_io import VideoReader, VideoReadError, open_video

SHORT_VIDEO_POLICIES = ('repeat_last', 'loop', 'error')


class ShortVideoError(VideoReadError):
    """The video has fewer frames than the sampler needs (``short_video='error'``)."""


class ArrayVideoReader(VideoReader):
    """A ``VideoReader`` over frames already in memory (``(T, H, W, 3)`` uint8)."""

    backend = 'array'

    def __init__(self, frames: np.ndarray, fps: float = 8.0, name: str = '<array>') -> None:
        super().__init__(name)
        self.frames = np.asarray(frames)
        if self.frames.ndim != 4 or len(self.frames) == 0:
            raise VideoReadError(name, f'expected (T, H, W, 3) frames, got {self.frames.shape}')
        self._fps = float(fps)

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def fps(self) -> float:
        return self._fps

    def _read(self, indices: np.ndarray) -> np.ndarray:
        return self.frames[indices]


@TRANSFORMS.register_module()
class VideoInit(BaseTransform):
    """Open ``results['filename']`` (file or frame folder) with :func:`open_video`.

    Required keys: ``filename`` (or ``frame_dir``), unless ``video_reader`` is
    already set (in-memory clips). Added keys: ``video_reader``,
    ``total_frames``, ``avg_fps``, ``start_index`` (0 unless given).

    Args:
        backend: ``'auto'`` (decord, PyAV fallback; folders -> frames),
            ``'decord'``, ``'pyav'`` or ``'frames'``.
        num_threads: decord decoding threads.
        fps: frame rate assumed for frame folders.
    """

    def __init__(self, backend: str = 'auto', num_threads: int = 1, fps: float = 30.0) -> None:
        self.backend = backend
        self.num_threads = num_threads
        self.fps = fps

    def transform(self, results: dict) -> dict:
        reader = results.get('video_reader')
        if reader is None:
            path = results.get('filename', results.get('frame_dir'))
            if path is None:
                raise KeyError("VideoInit needs 'filename' (or 'frame_dir') in the results")
            kwargs = {}
            if self.backend in ('decord', 'auto') and self.num_threads != 1:
                kwargs['num_threads'] = self.num_threads
            if self.backend == 'frames' or (self.backend == 'auto' and _is_dir(path)):
                kwargs = dict(fps=self.fps)
            reader = open_video(path, backend=self.backend, **kwargs)
        results['video_reader'] = reader
        results['total_frames'] = len(reader)
        results['avg_fps'] = reader.fps
        results.setdefault('start_index', 0)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(backend={self.backend!r}, '
                f'num_threads={self.num_threads})')


def _is_dir(path: str) -> bool:
    import os.path as osp
    return osp.isdir(path)


@TRANSFORMS.register_module()
class VideoDecode(BaseTransform):
    """Decode ``frame_inds`` from ``video_reader``.

    ``frame_inds`` follow mmaction2's convention (they include ``start_index``);
    the reader is given positional indices ``frame_inds - start_index``.
    Added keys: ``imgs`` (list of ``(H, W, 3)`` uint8 RGB), ``original_shape``,
    ``img_shape``. The reader is closed and removed afterwards.
    """

    def transform(self, results: dict) -> dict:
        reader: VideoReader = results['video_reader']
        inds = np.asarray(results['frame_inds']).reshape(-1)
        results['frame_inds'] = inds
        positions = inds - int(results.get('start_index', 0))
        frames = reader.get_frames(positions)  # (N, H, W, 3)
        reader.close()
        results['video_reader'] = None
        results['imgs'] = list(frames)
        results['original_shape'] = frames.shape[1:3]
        results['img_shape'] = frames.shape[1:3]
        return results


@TRANSFORMS.register_module()
class VideoSampleFrames(SampleFrames):
    """mmaction2 ``SampleFrames`` with an explicit short-video policy.

    Args:
        clip_len, frame_interval, num_clips, ...: as mmaction2's ``SampleFrames``.
        short_video: what to do when ``total_frames`` is below the
            ``(clip_len - 1) * frame_interval + 1`` frames one clip needs:
            ``'repeat_last'`` (default), ``'loop'`` or ``'error'``.
    """

    def __init__(self, clip_len: int, frame_interval: int = 1, num_clips: int = 1,
                 short_video: str = 'repeat_last', **kwargs) -> None:
        if short_video not in SHORT_VIDEO_POLICIES:
            raise ValueError(f'short_video must be one of {SHORT_VIDEO_POLICIES}, '
                             f'got {short_video!r}')
        if 'out_of_bound_opt' in kwargs:
            raise ValueError("VideoSampleFrames sets out_of_bound_opt from short_video; "
                             "pass short_video='repeat_last' or 'loop' instead")
        oob = 'loop' if short_video == 'loop' else 'repeat_last'
        super().__init__(clip_len, frame_interval=frame_interval, num_clips=num_clips,
                         out_of_bound_opt=oob, **kwargs)
        self.short_video = short_video

    @property
    def frames_needed(self) -> int:
        return (self.clip_len - 1) * self.frame_interval + 1

    def transform(self, results: dict) -> dict:
        total = int(results['total_frames'])
        if total <= 0:
            raise VideoReadError(results.get('filename', '<video>'), 'video has no frames')
        if self.short_video == 'error' and total < self.frames_needed:
            raise ShortVideoError(
                results.get('filename', results.get('frame_dir', '<video>')),
                f'has {total} frames but clip_len={self.clip_len} x '
                f'frame_interval={self.frame_interval} needs {self.frames_needed} '
                "(short_video='error'; use 'repeat_last' to pad with the last frame)")
        return super().transform(results)

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f', short_video={self.short_video!r})'
