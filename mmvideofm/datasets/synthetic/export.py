"""Export the synthetic world to the real formats that mmaction2-style loaders read.

Layout written by :func:`export_dataset` (``fmt='mp4'``)::

    out/
      classes.txt            class names of the task, one per line (label = line number)
      meta.json              task, classes, world config, seed, split sizes, codec
      train.txt              mmaction2 video list: ``train/000000.mp4 <label>`` per line
      train.json             full ground truth per clip (objects, boxes, events, labels, caption)
      train/000000.mp4 ...
      val.txt  val.json  val/ ...   test.txt  test.json  test/ ...

With ``fmt='frames'`` each clip is a folder ``train/000000/00001.jpg ...`` and
the list files use mmaction2's rawframe format ``train/000000 <total_frames> <label>``.
Clip ``i`` of split ``s`` is ``SyntheticWorld(config, seed, split=s).sample(i, task)``,
the same clip ``SyntheticVideoDataset(split=s, ...)`` yields.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import os.path as osp
from dataclasses import asdict
from typing import Any

from ..video_io import available_video_codecs, write_frames, write_video
from .structures import WorldConfig
from .tasks import TASKS
from .world import SyntheticWorld

__all__ = ['export_split', 'export_dataset', 'clip_record', 'read_ground_truth']

_CHUNK = 64


def clip_record(clip, path: str, task: str | None) -> dict[str, Any]:
    """One JSON record: relative path, the task label and the full ground truth."""
    rec = dict(path=path, label=clip.labels[task] if task else None)
    rec.update(clip.to_json())
    return rec


def _export_chunk(args: tuple) -> list[dict[str, Any]]:
    out, split, indices, task, cfg_dict, seed, fmt, frame_ext, codec = args
    world = SyntheticWorld(WorldConfig(**cfg_dict), seed=seed, split=split)
    records = []
    for i in indices:
        clip = world.sample(i, task)
        if fmt == 'mp4':
            rel = f'{split}/{i:06d}.mp4'
            write_video(osp.join(out, rel), clip.frames, fps=world.config.fps, codec=codec)
        else:
            rel = f'{split}/{i:06d}'
            write_frames(osp.join(out, rel), clip.frames, filename_tmpl='{:05d}.' + frame_ext,
                         start_index=1)
        records.append(clip_record(clip, rel, task))
    return records


def export_split(out: str, split: str, num: int, task: str = 'direction',
                 config: WorldConfig | None = None, seed: int = 0, workers: int = 0,
                 fmt: str = 'mp4', frame_ext: str = 'jpg', codec: str = 'auto',
                 progress: bool = True) -> list[dict[str, Any]]:
    """Write ``num`` clips of one split plus ``{split}.txt`` and ``{split}.json``.

    Args:
        out: output root.
        split: 'train', 'val' or 'test' (independent random streams).
        num: number of clips.
        task: task whose label goes into the list file (all labels are in the JSON).
        config: the world's look; defaults to ``WorldConfig()``.
        seed: world seed.
        workers: processes to use (0 or 1: this process).
        fmt: 'mp4' or 'frames' (JPEG/PNG folders).
        frame_ext: 'jpg' or 'png' for ``fmt='frames'``.
        codec: mp4 codec for ``write_video`` ('auto': lossless libx264rgb if present).
        progress: show a tqdm bar.

    Returns:
        The JSON records written (one per clip).
    """
    if task not in TASKS:
        raise KeyError(f'unknown task {task!r}; choose from {list(TASKS)}')
    if fmt not in ('mp4', 'frames'):
        raise ValueError(f"fmt must be 'mp4' or 'frames', got {fmt!r}")
    if frame_ext not in ('jpg', 'png'):
        raise ValueError(f"frame_ext must be 'jpg' or 'png', got {frame_ext!r}")
    config = config or WorldConfig()
    if codec == 'auto' and fmt == 'mp4':
        codec = available_video_codecs()[0]
    os.makedirs(osp.join(out, split), exist_ok=True)
    chunks = [list(range(s, min(s + _CHUNK, num))) for s in range(0, num, _CHUNK)]
    jobs = [(out, split, c, task, asdict(config), seed, fmt, frame_ext, codec) for c in chunks]
    from tqdm import tqdm
    bar = tqdm(total=num, desc=f'synthetic {split}', unit='clip', disable=not progress)
    records: list[dict[str, Any]] = []
    if workers and workers > 1 and len(jobs) > 1:
        ctx = mp.get_context('fork') if 'fork' in mp.get_all_start_methods() else mp
        with ctx.Pool(workers) as pool:
            for recs in pool.imap(_export_chunk, jobs):
                records += recs
                bar.update(len(recs))
    else:
        for job in jobs:
            recs = _export_chunk(job)
            records += recs
            bar.update(len(recs))
    bar.close()
    T = config.num_frames
    with open(osp.join(out, f'{split}.txt'), 'w') as f:
        for r in records:
            mid = f' {T}' if fmt == 'frames' else ''
            f.write(f'{r["path"]}{mid} {r["label"]}\n')
    with open(osp.join(out, f'{split}.json'), 'w') as f:  # dumps: the C encoder, ~10x dump
        f.write(json.dumps(dict(task=task, classes=TASKS[task].classes, split=split, seed=seed,
                                format=fmt, config=asdict(config), clips=records)))
    return records


def export_dataset(out: str, task: str = 'direction', num_train: int = 1000, num_val: int = 200,
                   num_test: int = 200, config: WorldConfig | None = None, seed: int = 0,
                   workers: int = 0, fmt: str = 'mp4', frame_ext: str = 'jpg',
                   codec: str = 'auto', progress: bool = True) -> dict[str, Any]:
    """Export train/val/test splits, ``classes.txt`` and ``meta.json``; returns the meta."""
    config = config or WorldConfig()
    os.makedirs(out, exist_ok=True)
    if fmt == 'mp4' and codec == 'auto':
        codec = available_video_codecs()[0]
    sizes = dict(train=num_train, val=num_val, test=num_test)
    for split, num in sizes.items():
        if num > 0:
            export_split(out, split, num, task, config, seed, workers, fmt, frame_ext, codec,
                         progress)
    with open(osp.join(out, 'classes.txt'), 'w') as f:
        f.write('\n'.join(TASKS[task].classes) + '\n')
    meta = dict(task=task, classes=TASKS[task].classes, config=asdict(config), seed=seed,
                splits=sizes, format=fmt, codec=codec if fmt == 'mp4' else frame_ext)
    with open(osp.join(out, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    return meta


def read_ground_truth(out: str, split: str) -> dict[str, Any]:
    """Load ``{out}/{split}.json``: ``task``, ``classes``, ``config``, ``clips`` (records)."""
    path = osp.join(out, f'{split}.json')
    if not osp.isfile(path):
        raise FileNotFoundError(f'no ground truth {path!r}; run tools/data/make_synthetic.py '
                                f'--out {out}')
    with open(path) as f:
        return json.load(f)
