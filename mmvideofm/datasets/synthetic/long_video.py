"""Long synthetic videos: several synthetic clips joined by hard cuts, with their ground truth.

The InternVid curation pipeline (:mod:`mmvideofm.datasets.curation`) starts from raw,
multi-scene videos. ``make_long_video(index, ...)`` concatenates clips of the world (each
its own scene: background, objects, events) into one video and records where each segment
starts and ends; ``export_long_videos`` writes them as mp4 plus one JSON of ground truth::

    out/
      videos/syn00000000.mp4 ...     11-character ids, like YouTube ids (InternVid's DIV key)
      long_videos.json               {config, seed, fps, videos: [{id, path, num_frames,
                                       cuts, segments: [{start_frame, end_frame, kind,
                                       caption, clip (ground truth of the synthetic clip)}]}]}

Segment kinds: ``'clip'`` (a world clip), ``'still'`` (one frame of a clip held: the
curation's still-clip filter must drop it) and ``'shake'`` (a clip whose frames are shifted
by random offsets every frame, i.e. extreme camera motion: the extreme-motion filter must
drop it). ``cuts`` are the first frames of segments 1..n-1. Consecutive segments differ by
at least ``min_cut_diff`` mean grey levels between the last frame before and the first frame
after the cut, so every boundary is a hard cut.
"""
from __future__ import annotations

import json
import os
import os.path as osp
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from ..video_io import write_video
from .structures import WorldConfig
from .world import SyntheticWorld

__all__ = ['LongVideoConfig', 'make_long_video', 'export_long_videos', 'long_video_id']

SEGMENT_KINDS = ('clip', 'still', 'shake')


@dataclass
class LongVideoConfig:
    """How long videos are assembled.

    Args:
        segments: (min, max) segments per video.
        segment_frames: (min, max) frames per segment (a clip shorter than the world's 8
            frames is a truncated 8-frame clip).
        still_prob / shake_prob: chance that a segment is a held frame / a shaky clip.
        shake_pixels: largest per-frame offset of a shaky segment, in pixels.
        min_cut_diff: least mean absolute grey-level difference across a cut.
        task: synthetic task of the clips (None: free clips of any layout).
    """

    segments: tuple[int, int] = (3, 6)
    segment_frames: tuple[int, int] = (6, 32)
    still_prob: float = 0.1
    shake_prob: float = 0.1
    shake_pixels: int = 1
    min_cut_diff: float = 25.0
    task: str | None = None


def long_video_id(index: int) -> str:
    """The 11-character id of long video ``index`` (``syn00000007``)."""
    return f'syn{index:08d}'


def _shake(frames: np.ndarray, amp: int, rng: np.random.Generator) -> np.ndarray:
    """Every frame shifted by ``amp`` pixels, alternating left / right, randomly up / down."""
    sign_x = np.where(np.arange(len(frames)) % 2 == 0, 1, -1)
    offsets = np.stack([rng.choice([-amp, amp], size=len(frames)), sign_x * amp], axis=1)
    return np.stack([np.roll(f, (int(dy), int(dx)), (0, 1)) for f, (dy, dx) in
                     zip(frames, offsets)])


def make_long_video(index: int, world_cfg: WorldConfig | None = None,
                    cfg: LongVideoConfig | None = None, seed: int = 0
                    ) -> tuple[np.ndarray, dict[str, Any]]:
    """Frames ``(N, H, W, 3)`` uint8 of long video ``index`` and its ground-truth record."""
    world_cfg = world_cfg or WorldConfig()
    cfg = cfg or LongVideoConfig()
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7919, int(index)]))
    num = int(rng.integers(cfg.segments[0], cfg.segments[1] + 1))
    pieces: list[np.ndarray] = []
    segments: list[dict[str, Any]] = []
    start = 0
    clip_no = 0
    for _ in range(num):
        length = int(rng.integers(cfg.segment_frames[0], cfg.segment_frames[1] + 1))
        u = rng.random()
        kind = 'still' if u < cfg.still_prob else (
            'shake' if u < cfg.still_prob + cfg.shake_prob else 'clip')
        world = SyntheticWorld(replace(world_cfg, num_frames=max(length, 8)), seed=seed,
                               split='train')
        for _attempt in range(50):  # the next world clip that makes a hard cut
            clip = world.sample(index * 1000 + clip_no, cfg.task)
            clip_no += 1
            frames = clip.frames[:length]
            if not pieces or np.abs(frames[0].astype(np.float32) -
                                    pieces[-1][-1].astype(np.float32)).mean() >= \
                    cfg.min_cut_diff:
                break
        if kind == 'still':
            frames = np.repeat(frames[len(frames) // 2][None], length, axis=0)
        elif kind == 'shake':
            frames = _shake(frames, cfg.shake_pixels, rng)
        pieces.append(frames)
        segments.append(dict(start_frame=start, end_frame=start + length, kind=kind,
                             caption=clip.caption, clip=clip.to_json()))
        start += length
    record = dict(id=long_video_id(index), num_frames=start, fps=world_cfg.fps,
                  cuts=[s['start_frame'] for s in segments[1:]], segments=segments)
    return np.concatenate(pieces), record


def export_long_videos(out: str, num_videos: int, world_cfg: WorldConfig | None = None,
                       cfg: LongVideoConfig | None = None, seed: int = 0,
                       codec: str = 'auto') -> dict[str, Any]:
    """Write ``num_videos`` long videos under ``out/videos`` and ``out/long_videos.json``."""
    world_cfg = world_cfg or WorldConfig()
    cfg = cfg or LongVideoConfig()
    os.makedirs(osp.join(out, 'videos'), exist_ok=True)
    videos = []
    for i in range(num_videos):
        frames, rec = make_long_video(i, world_cfg, cfg, seed)
        rec['path'] = f'videos/{rec["id"]}.mp4'
        write_video(osp.join(out, rec['path']), frames, fps=world_cfg.fps, codec=codec)
        videos.append(rec)
    meta = dict(config=asdict(world_cfg), long_video=asdict(cfg), seed=seed, fps=world_cfg.fps,
                videos=videos)
    with open(osp.join(out, 'long_videos.json'), 'w') as f:
        f.write(json.dumps(meta))
    return meta
