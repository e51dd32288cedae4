"""Video-text pairs from webdataset tar shards (``<key>.mp4`` + ``<key>.json`` per clip).

The InternVid curation pipeline (``tools/data/internvid/curate.py``) writes such shards; the
json is an InternVid row (``YoutubeID``, ``Start_timestamp``, ``End_timestamp``, ``Caption``,
scores). :class:`VideoTextShardDataset` indexes every tar once (member offsets), so it is a
map-style dataset the Runner's samplers shuffle and resume like any other, and yields the
sample dicts of :class:`~mmvideofm.datasets.video_text_jsonl.VideoTextJsonlDataset` (``text``,
``caption``, ``youtube_id``, ``scores``, ``duration``, ``video_idx``, ``filename``) plus the
decoded clip as an in-memory ``video_reader`` (``VideoInit`` keeps it), so the same pipelines
train on either.
"""
from __future__ import annotations

import glob
import io
import json
import os.path as osp
import tarfile
from collections.abc import Callable, Sequence

import numpy as np

from mmvideofm.registry import DATASETS

from .transforms.loading import ArrayVideoReader
from .video_io import VideoReadError
from .video_text_jsonl import VideoTextJsonlDataset

__all__ = ['VideoTextShardDataset', 'index_shards', 'decode_video_bytes']


def decode_video_bytes(data: bytes, name: str = '<bytes>') -> tuple[np.ndarray, float]:
    """All frames ``(T, H, W, 3)`` uint8 RGB and the fps of an in-memory video (PyAV)."""
    import av
    try:
        with av.open(io.BytesIO(data)) as container:
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate
            frames = [f.to_ndarray(format='rgb24') for f in container.decode(stream)]
    except Exception as e:  # noqa: BLE001 - PyAV raises many types
        raise VideoReadError(name, f'PyAV cannot decode the shard member ({e})') from e
    if not frames:
        raise VideoReadError(name, 'shard member has no frames')
    return np.stack(frames), float(rate) if rate else 0.0


def index_shards(shards: Sequence[str], video_ext: str = 'mp4') -> list[dict]:
    """``[{key, shard, offset, size, row}]`` of every sample with a video and a json member."""
    items = []
    for shard in shards:
        members: dict[str, dict] = {}
        with tarfile.open(shard) as tar:
            for m in tar:
                if not m.isfile() or '.' not in osp.basename(m.name):
                    continue
                key, ext = m.name.split('.', 1)  # webdataset: the key ends at the first dot
                entry = members.setdefault(key, dict(key=key, shard=shard))
                if ext == video_ext:
                    entry.update(offset=m.offset_data, size=m.size)
                elif ext == 'json':
                    entry['row'] = json.loads(tar.extractfile(m).read())
        for key, entry in members.items():
            if 'row' not in entry or 'offset' not in entry:
                raise ValueError(f'{shard}: sample {key!r} lacks its .{video_ext} or .json '
                                 'member (a truncated or foreign shard?)')
            items.append(entry)
    return items


@DATASETS.register_module()
class VideoTextShardDataset(VideoTextJsonlDataset):
    """Video-text pairs from webdataset shards written by the curation pipeline.

    Args:
        shards: A glob (``'data/internvid/shards/flt/*.tar'``) or a list of tar paths,
            relative to ``data_root``.
        video_ext: Extension of the video members (``mp4``).
        min_duration / max_duration / min_scores / pipeline / test_mode: As
            :class:`VideoTextJsonlDataset`.
    """

    def __init__(self, shards: str | Sequence[str], video_ext: str = 'mp4',
                 min_duration: float | None = None, max_duration: float | None = None,
                 min_scores: dict[str, float] | None = None,
                 pipeline: Sequence[dict | Callable] = (), test_mode: bool = False,
                 data_root: str | None = '', **kwargs) -> None:
        patterns = [shards] if isinstance(shards, str) else list(shards)
        root = data_root or ''
        paths = sorted(p for pat in patterns for p in (
            glob.glob(osp.join(root, pat)) if any(c in pat for c in '*?[') else
            [osp.join(root, pat)]))
        missing = [p for p in paths if not osp.isfile(p)]
        if not paths or missing:
            raise FileNotFoundError(f'no shard files for {shards!r} under data_root '
                                    f'{root!r}' + (f' (missing {missing[:3]})' if missing else
                                                   '') + '; write them with tools/data/'
                                    'internvid/curate.py (output.shards)')
        self.shard_paths = paths
        super().__init__(ann_file=paths[0], precut=True, video_ext='.' + video_ext,
                         min_duration=min_duration, max_duration=max_duration,
                         min_scores=min_scores, pipeline=pipeline, test_mode=test_mode,
                         data_root=data_root, **kwargs)
        self.ext = video_ext

    def _join_prefix(self) -> None:  # shard paths are already resolved
        pass

    def load_data_list(self) -> list[dict]:
        data, clip_ids = [], {}
        for n, item in enumerate(index_shards(self.shard_paths, self.video_ext.lstrip('.'))):
            sample = self._row(json.dumps(item['row']), n + 1)
            if sample is None:
                continue
            sample.update(filename=f'{item["shard"]}#{item["key"]}{self.video_ext}',
                          shard=item['shard'], offset=item['offset'], size=item['size'])
            sample.pop('clip_key')
            sample['video_idx'] = clip_ids.setdefault(sample['filename'], len(clip_ids))
            data.append(sample)
        if not data:
            raise ValueError(f'{self.shard_paths}: no samples left (empty shards, or every '
                             'row was filtered out by min/max_duration or min_scores)')
        return data

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        with open(info['shard'], 'rb') as f:
            f.seek(info['offset'])
            data = f.read(info['size'])
        frames, fps = decode_video_bytes(data, info['filename'])
        info['video_reader'] = ArrayVideoReader(frames, fps or 8.0, info['filename'])
        return info
