"""Stage 5: outputs in InternVid's annotation format, and webdataset shards.

jsonl rows carry the official fields in the official order: ``YoutubeID``,
``Start_timestamp``, ``End_timestamp`` (``HH:MM:SS.fff``), ``Caption``, ``UMT_Score``,
``Aesthetic_Score``; ``extra_fields`` appends ours (``CLIP_Score``, the coarse / fine
captions, ...). Shards are webdataset tars: per clip ``<key>.mp4`` (the clip's bytes, cut
with PyAV) and ``<key>.json`` (the row), read by
:class:`mmvideofm.datasets.video_text_shards.VideoTextShardDataset`.
"""
from __future__ import annotations

import json
import os
import os.path as osp
from collections.abc import Sequence
from typing import Any

from .cutting import clip_bytes

__all__ = ['OFFICIAL_FIELDS', 'official_row', 'write_jsonl', 'write_shards', 'read_jsonl']

OFFICIAL_FIELDS = ('YoutubeID', 'Start_timestamp', 'End_timestamp', 'Caption', 'UMT_Score',
                   'Aesthetic_Score')


def official_row(rec: dict[str, Any], extra_fields: Sequence[str] = ()) -> dict[str, Any]:
    """The official fields of a clip record (None where a score stage did not run), then
    ``extra_fields``."""
    row = {k: rec.get(k) for k in OFFICIAL_FIELDS}
    row.update({k: rec[k] for k in extra_fields if k in rec})
    return row


def write_jsonl(path: str, records: Sequence[dict[str, Any]],
                extra_fields: Sequence[str] = ()) -> str:
    """One official row per line; written to a temporary name, then renamed."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        for rec in records:
            f.write(json.dumps(official_row(rec, extra_fields)) + '\n')
    os.replace(tmp, path)
    return path


def read_jsonl(path: str) -> list[dict[str, Any]]:
    """Rows of a jsonl file."""
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def write_shards(folder: str, records: Sequence[dict[str, Any]], maxcount: int = 1000,
                 extra_fields: Sequence[str] = (), prefix: str = 'shard') -> list[str]:
    """webdataset tars ``folder/<prefix>-000000.tar`` ...: ``mp4`` bytes + ``json`` row per
    clip (``rec['_video']`` / ``_start_frame`` / ``_end_frame`` locate the clip). Fixed
    mtimes make the tars byte-reproducible."""
    import webdataset as wds
    os.makedirs(folder, exist_ok=True)
    for old in os.listdir(folder):  # a rerun replaces every shard
        if old.startswith(prefix + '-') and old.endswith('.tar'):
            os.remove(osp.join(folder, old))
    paths = []
    for n, start in enumerate(range(0, len(records), maxcount)):
        path = osp.join(folder, f'{prefix}-{n:06d}.tar')
        with wds.TarWriter(path, mtime=0.0) as sink:
            for rec in records[start:start + maxcount]:
                data = clip_bytes(rec['_video'], rec['_start_frame'], rec['_end_frame'])
                sink.write({'__key__': rec['_key'], 'mp4': data,
                            'json': official_row(rec, extra_fields)})
        paths.append(path)
    return paths
