"""The procedural synthetic video world: seeded clips of moving, recolouring shapes.

``SyntheticWorld(WorldConfig(...), seed).sample(index, task)`` is a pure
function of ``(seed, split, index, task)``: it draws from its own
``np.random.Generator`` (never the global RNG), plans a few small shapes with the
task's layout (:mod:`.tasks`), draws a textured background, derives the ground
truth (:mod:`.scene`), renders the frames (:mod:`.render`), and labels and
captions the clip from that ground truth (never stored separately).
"""
from __future__ import annotations

import zlib
from dataclasses import asdict

import numpy as np

from .captions import make_caption
from .render import make_background, render_frames
from .scene import Scene
from .structures import SPLITS, Clip, WorldConfig
from .tasks import TASKS, compute_labels, free_layout


def _task_code(task: str | None) -> int:
    return 0 if task is None else zlib.crc32(task.encode()) & 0x7FFFFFFF


class SyntheticWorld:
    """Seeded generator of synthetic clips.

    Args:
        config: a ``WorldConfig`` (defaults if None).
        seed: the world's seed.
        split: ``None``, ``'train'``, ``'val'`` or ``'test'``; each is an
            independent random stream, so splits never share clips.
    """

    def __init__(self, config: WorldConfig | None = None, seed: int = 0,
                 split: str | None = None) -> None:
        if split not in SPLITS:
            raise ValueError(f'split must be one of {list(SPLITS)}, got {split!r}')
        self.config = config or WorldConfig()
        self.seed = int(seed)
        self.split = split
        self.scene = Scene(self.config)

    def rng(self, index: int, task: str | None = None) -> np.random.Generator:
        """The generator that ``sample(index, task)`` draws from."""
        entropy = [self.seed, SPLITS[self.split], _task_code(task), int(index)]
        return np.random.default_rng(np.random.SeedSequence(entropy))

    def sample(self, index: int, task: str | None = None) -> Clip:
        """Clip number ``index``; ``task`` picks a layout whose label is defined for it.

        ``task=None`` draws a free clip (any mix of events; some task labels may be -1).
        """
        if task is not None and task not in TASKS:
            raise KeyError(f'unknown task {task!r}; choose from {list(TASKS)}')
        rng = self.rng(index, task)
        cfg = self.config
        if task is None:
            objs, want = free_layout(self.scene, rng), None
        else:
            objs, want = TASKS[task].layout_fn(self.scene, rng)
        background = make_background(rng, cfg.size, cfg.size, cfg.noise)
        tracks, events, sprites = self.scene.ground_truth(objs)
        clip = Clip(render_frames(background, cfg.num_frames, sprites), tracks, events, {}, '', {})
        clip.labels = compute_labels(clip)
        clip.caption = make_caption(clip)
        clip.meta = dict(seed=self.seed, split=self.split, index=int(index), task=task,
                         config=asdict(cfg))
        if want is not None and clip.labels[task] != want:  # layout and label_fn disagree
            raise RuntimeError(f'synthetic world bug: task {task} index {index}: wanted label '
                               f'{want}, ground truth gives {clip.labels[task]}')
        return clip
