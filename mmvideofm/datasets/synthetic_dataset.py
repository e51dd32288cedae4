"""On-the-fly dataset over the synthetic world: no files, same pipelines as real videos."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from mmengine.dataset import BaseDataset

from mmvideofm.registry import DATASETS

from .synthetic import TASKS, SyntheticWorld, WorldConfig
from .transforms.loading import ArrayVideoReader

SPLIT_NAMES = ('train', 'val', 'test')


@DATASETS.register_module()
class SyntheticVideoDataset(BaseDataset):
    """Synthetic clips generated on the fly, in mmaction2's results format.

    Sample ``i`` of split ``s`` is ``SyntheticWorld(config, seed, split=s).sample(i, task)``
    (the same clip ``tools/data/make_synthetic.py`` exports). Results hold all
    ``T`` frames both decoded (``imgs``, ``clip_len=T``, ``num_clips=1``, so
    ``FormatShape`` + ``PackActionInputs`` work directly) and as an in-memory
    ``video_reader``, so a pipeline may also start with ``VideoSampleFrames`` +
    ``VideoDecode`` (e.g. ``clip_len=1`` for a single-frame baseline). The clip's ground
    truth rides along for target-building transforms (e.g. ``SyntheticPatchShapeTargets``):
    ``gt_objects`` (``ObjectTrack`` s: shape, per-frame colours, boxes, visibility) and
    ``gt_events``.

    Args:
        num_samples: dataset length.
        seed: world seed.
        task: a key of ``TASKS`` (label and ``metainfo['classes']``), or None for free
            clips of any layout (unlabelled pretraining; ``label`` is -1).
        num_frames: frames per clip.
        size: frame height = width.
        split: 'train', 'val' or 'test' (disjoint random streams).
        pipeline: transforms.
        world_cfg: extra ``WorldConfig`` fields (``max_objects``, ``motion``, ...).
        cache_clips: keep every generated clip in memory (``num_samples`` x ``T*H*W*3``
            bytes, e.g. 47 MB for 1920 clips of 8 x 32 x 32): later epochs skip generation,
            which otherwise dominates the data time of the tiny synthetic models.
        test_mode: mmengine's flag.
    """

    def __init__(self, num_samples: int = 1000, seed: int = 0, task: str | None = 'direction',
                 num_frames: int = 16, size: int = 32, split: str = 'train',
                 pipeline: list[dict | Callable] = (), world_cfg: dict | None = None,
                 test_mode: bool = False, cache_clips: bool = False, **kwargs) -> None:
        if task is not None and task not in TASKS:
            raise KeyError(f'unknown synthetic task {task!r}; choose from {list(TASKS)} or None '
                           f'(free, unlabelled clips)')
        if split not in SPLIT_NAMES:
            raise ValueError(f'split must be one of {SPLIT_NAMES}, got {split!r}')
        self.num_samples = int(num_samples)
        self.task = task
        self.split = split
        self._cache: dict[int, object] | None = {} if cache_clips else None
        self.world = SyntheticWorld(
            WorldConfig(num_frames=num_frames, size=size, **(world_cfg or {})), seed=seed,
            split=split)
        metainfo = dict(classes=tuple(TASKS[task].classes) if task else ())
        metainfo.update(kwargs.pop('metainfo', None) or {})
        kwargs.setdefault('serialize_data', False)  # the data list is just indices
        super().__init__(ann_file='', metainfo=metainfo, pipeline=list(pipeline),
                         test_mode=test_mode, **kwargs)

    def load_data_list(self) -> list[dict]:
        return [dict(index=i) for i in range(self.num_samples)]

    def get_clip(self, idx: int):
        """The full :class:`Clip` (frames + ground truth) of sample ``idx``."""
        index = int(super().get_data_info(idx)['index'])
        if self._cache is None:
            return self.world.sample(index, self.task)
        if index not in self._cache:
            self._cache[index] = self.world.sample(index, self.task)
        return self._cache[index]

    def get_data_info(self, idx: int) -> dict:
        clip = self.get_clip(idx)
        index = int(clip.meta['index'])
        frames = clip.frames if self._cache is None else clip.frames.copy()  # cache intact
        T, H, W = frames.shape[:3]
        name = f'synthetic/{self.split}/{self.task or "free"}/{index:06d}'
        return dict(
            imgs=list(frames), label=int(clip.labels[self.task]) if self.task else -1,
            video_reader=ArrayVideoReader(frames, self.world.config.fps, name),
            filename=name, sample_idx=idx, total_frames=T, start_index=0,
            frame_inds=np.arange(T), clip_len=T, num_clips=1, avg_fps=self.world.config.fps,
            original_shape=(H, W), img_shape=(H, W), modality='RGB', caption=clip.caption,
            gt_objects=clip.objects, gt_events=clip.events)
