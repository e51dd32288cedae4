"""InternVid-style video-text annotations: one JSON object per line.

Fields (InternVid, https://arxiv.org/abs/2307.06942): ``YoutubeID``, ``Start_timestamp``,
``End_timestamp`` (``HH:MM:SS.fff`` or seconds), ``Caption`` and optional scores
(``UMT_Score``, ``Aesthetic_Score``, ...). A row becomes the sample dict every video-text
pipeline reads (the webdataset shards of ``video_text_shards.py`` produce the same keys)::

    filename     video file: the whole video (cut at read time) or a pre-cut clip file
    text         the caption (also under ``caption``)
    video_idx    one id per distinct clip (VTC treats captions of one clip as positives)
    clip_start   clip start / end in seconds (only when cutting at read time; the
    clip_end     ``ClipWindow`` transform after ``VideoInit`` restricts the reader to them)
    scores       {name: float} of the row's ``*_Score`` fields
    youtube_id   the row's ``YoutubeID``

Pipeline: ``VideoInit`` -> ``ClipWindow`` -> a frame sampler -> ``VideoDecode`` -> ... ->
``PackActionInputs(meta_keys=('text', 'video_idx', ...))``.
"""
from __future__ import annotations

import json
import math
import os.path as osp
from collections.abc import Callable, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.dataset import BaseDataset

from mmvideofm.registry import DATASETS, TRANSFORMS

from .video_io import VideoReader

__all__ = ['VideoTextJsonlDataset', 'ClipWindow', 'WindowedVideoReader', 'parse_timestamp',
           'REQUIRED_FIELDS']

REQUIRED_FIELDS = ('YoutubeID', 'Start_timestamp', 'End_timestamp', 'Caption')


def parse_timestamp(value: str | float | int) -> float:
    """Seconds from ``'HH:MM:SS.fff'``, ``'MM:SS'``, ``'SS.f'`` or a number."""
    if isinstance(value, (int, float)):
        return float(value)
    parts = str(value).strip().split(':')
    if not 1 <= len(parts) <= 3:
        raise ValueError(f'bad timestamp {value!r} (expected HH:MM:SS.fff)')
    seconds = 0.
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


@DATASETS.register_module()
class VideoTextJsonlDataset(BaseDataset):
    """Video-text pairs from an InternVid-style jsonl file.

    Args:
        ann_file: The ``.jsonl`` file.
        data_prefix: ``dict(video=folder)`` the videos are in.
        precut: Videos are already cut into clip files named by ``clip_name``; otherwise
            ``<YoutubeID><video_ext>`` is cut at read time by :class:`ClipWindow`.
        video_ext: Extension of the video files.
        clip_name: Pre-cut file name pattern over the row's fields.
        min_duration / max_duration: Keep clips whose length (s) is in the range
            (InternVid-10M-FLT drops clips under 1 s and over 120 s).
        min_scores: ``{field: threshold}`` rows must reach (e.g. ``{'UMT_Score': 0.3}``).
        pipeline / test_mode / **kwargs: As ``BaseDataset``.
    """

    def __init__(self, ann_file: str, data_prefix: dict | None = None, precut: bool = False,
                 video_ext: str = '.mp4',
                 clip_name: str = '{YoutubeID}_{Start_timestamp}_{End_timestamp}',
                 min_duration: float | None = None, max_duration: float | None = None,
                 min_scores: dict[str, float] | None = None,
                 pipeline: Sequence[dict | Callable] = (), test_mode: bool = False,
                 **kwargs) -> None:
        self.precut = precut
        self.video_ext = video_ext
        self.clip_name = clip_name
        self.min_duration, self.max_duration = min_duration, max_duration
        self.min_scores = dict(min_scores or {})
        super().__init__(ann_file=ann_file, data_prefix=data_prefix or dict(video=''),
                         pipeline=list(pipeline), test_mode=test_mode, **kwargs)

    def _row(self, line: str, lineno: int) -> dict | None:
        where = f'{self.ann_file}, line {lineno}'
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f'{where}: not valid JSON ({err.msg})') from None
        if not isinstance(row, dict):
            raise ValueError(f'{where}: expected a JSON object, got {type(row).__name__}')
        missing = [k for k in REQUIRED_FIELDS if k not in row or row[k] in (None, '')]
        if missing:
            raise ValueError(f'{where}: missing field(s) {missing}; every row needs '
                             f'{list(REQUIRED_FIELDS)} (InternVid format)')
        try:
            start = parse_timestamp(row['Start_timestamp'])
            end = parse_timestamp(row['End_timestamp'])
        except ValueError as err:
            raise ValueError(f'{where}: {err}') from None
        if not end > start:
            raise ValueError(f'{where}: End_timestamp {row["End_timestamp"]!r} is not after '
                             f'Start_timestamp {row["Start_timestamp"]!r}')
        scores = {k: float(v) for k, v in row.items() if k.endswith('_Score') and v is not None}
        duration = end - start
        if (self.min_duration is not None and duration < self.min_duration) or (
                self.max_duration is not None and duration > self.max_duration):
            return None
        if any(scores.get(k, -math.inf) < v for k, v in self.min_scores.items()):
            return None
        folder = self.data_prefix.get('video', '')
        sample = dict(text=row['Caption'], caption=row['Caption'], youtube_id=row['YoutubeID'],
                      scores=scores, duration=duration)
        if self.precut:
            sample['filename'] = osp.join(folder, self.clip_name.format(**row) + self.video_ext)
            sample['clip_key'] = sample['filename']
        else:
            sample['filename'] = osp.join(folder, row['YoutubeID'] + self.video_ext)
            sample.update(clip_start=start, clip_end=end,
                          clip_key=f'{row["YoutubeID"]}/{start:.3f}-{end:.3f}')
        return sample

    def load_data_list(self) -> list[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'annotation file not found: {self.ann_file!r}')
        data, clip_ids = [], {}
        with open(self.ann_file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                sample = self._row(line, lineno)
                if sample is None:
                    continue
                sample['video_idx'] = clip_ids.setdefault(sample.pop('clip_key'), len(clip_ids))
                data.append(sample)
        if not data:
            raise ValueError(f'{self.ann_file}: no rows left (empty file, or every row was '
                             'filtered out by min/max_duration or min_scores)')
        return data


class WindowedVideoReader(VideoReader):
    """The frames ``[first, first + num)`` of another reader, re-indexed from 0."""

    def __init__(self, reader: VideoReader, first: int, num: int) -> None:
        super().__init__(reader.path)
        self.reader, self.first, self.num = reader, int(first), int(num)
        self.backend = reader.backend

    def __len__(self) -> int:
        return self.num

    @property
    def fps(self) -> float:
        return self.reader.fps

    def _read(self, indices: np.ndarray) -> np.ndarray:
        return self.reader.get_frames(indices + self.first)

    def close(self) -> None:
        self.reader.close()


@TRANSFORMS.register_module()
class ClipWindow(BaseTransform):
    """Cut a clip at read time: restrict ``video_reader`` (from ``VideoInit``) to the frames
    between ``clip_start`` and ``clip_end`` seconds and update ``total_frames``. Samples
    without ``clip_start`` (pre-cut files, shards) pass unchanged."""

    def transform(self, results: dict) -> dict:
        if results.get('clip_start') is None:
            return results
        reader = results.get('video_reader')
        if reader is None:
            raise KeyError('ClipWindow needs the reader VideoInit opens: put it after VideoInit')
        fps, total = float(reader.fps), len(reader)
        first = min(int(round(float(results['clip_start']) * fps)), max(total - 1, 0))
        last = min(int(round(float(results['clip_end']) * fps)), total)
        results['video_reader'] = WindowedVideoReader(reader, first, max(last - first, 1))
        results['total_frames'] = len(results['video_reader'])
        return results
