"""Vocabulary, world configuration and ground-truth records of the synthetic world."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

SHAPES = ('circle', 'square', 'triangle', 'cross')
COLORS: dict[str, tuple[int, int, int]] = {
    'red': (230, 40, 40),
    'green': (40, 200, 60),
    'blue': (50, 90, 255),
    'yellow': (240, 220, 40),
    'cyan': (40, 220, 230),
    'magenta': (220, 50, 220),
    'white': (245, 245, 245),
    'orange': (255, 140, 20),
}
DIRECTIONS = ('up', 'down', 'left', 'right', 'up-left', 'up-right', 'down-left', 'down-right',
              'static')
# (dx, dy) in image coordinates (y grows downwards)
DIRECTION_VECTORS: dict[str, tuple[int, int]] = {
    'up': (0, -1), 'down': (0, 1), 'left': (-1, 0), 'right': (1, 0),
    'up-left': (-1, -1), 'up-right': (1, -1), 'down-left': (-1, 1), 'down-right': (1, 1),
    'static': (0, 0),
}
EVENT_KINDS = ('appear', 'disappear', 'color_change', 'collision', 'start_moving', 'stop_moving')
SPLITS = {None: 0, 'train': 1, 'val': 2, 'test': 3}


@dataclass
class WorldConfig:
    """How clips look.

    Args:
        num_frames: frames per clip (T).
        size: frame height and width in pixels.
        max_objects: most objects in one clip (the direction task uses at
            least 2 so one frame cannot tell which object moves).
        object_size: object side as a fraction of ``size`` (min, max).
        motion: total displacement of a moving object as a fraction of ``size``.
        shapes: shapes to draw (subset of ``SHAPES``; 'diamond' also renders).
        colors: colour names (subset of ``COLORS``).
        noise: amplitude of the static background texture (grey levels).
        fps: frame rate written to exported videos.
    """

    num_frames: int = 16
    size: int = 32
    max_objects: int = 3
    object_size: tuple[float, float] = (0.18, 0.26)
    motion: tuple[float, float] = (0.35, 0.55)
    shapes: tuple[str, ...] = SHAPES
    colors: tuple[str, ...] = tuple(COLORS)
    noise: int = 6
    fps: float = 8.0

    def __post_init__(self) -> None:
        self.object_size = tuple(self.object_size)
        self.motion = tuple(self.motion)
        self.shapes = tuple(self.shapes)
        self.colors = tuple(self.colors)
        if self.num_frames < 8:
            raise ValueError(f'num_frames must be >= 8, got {self.num_frames}')
        if self.size < 16:
            raise ValueError(f'size must be >= 16, got {self.size}')
        if self.max_objects < 1:
            raise ValueError(f'max_objects must be >= 1, got {self.max_objects}')
        unknown = set(self.colors) - set(COLORS)
        if unknown or len(self.colors) < self.max_objects + 1:
            raise ValueError(f'colors must be > max_objects names from {list(COLORS)}, '
                             f'got {self.colors}')


@dataclass
class ObjectTrack:
    """One object's ground truth over the clip.

    ``boxes`` are ``(T, 4)`` float ``x1, y1, x2, y2`` pixel boxes (exclusive
    right/bottom edge), NaN where the object is absent; ``colors[t]`` is its
    colour name at frame t; ``direction`` is one of ``DIRECTIONS``.
    """

    id: int
    shape: str
    size: int
    colors: list[str]
    boxes: np.ndarray
    visible: np.ndarray
    direction: str | None

    def to_json(self) -> dict[str, Any]:
        """JSON-serialisable record (``None`` boxes where absent)."""
        boxes = [None if not v else [float(x) for x in b]
                 for b, v in zip(self.boxes, self.visible)]
        return dict(id=self.id, shape=self.shape, size=self.size, colors=list(self.colors),
                    boxes=boxes, visible=[bool(v) for v in self.visible],
                    direction=self.direction)


@dataclass
class Event:
    """Something that happens at ``frame``: kind in ``EVENT_KINDS``."""

    frame: int
    kind: str
    objects: tuple[int, ...]
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-serialisable record."""
        return dict(frame=self.frame, kind=self.kind, objects=list(self.objects),
                    detail=dict(self.detail))


@dataclass
class Clip:
    """Frames ``(T, H, W, 3)`` uint8 RGB plus ground truth, labels and a caption."""

    frames: np.ndarray
    objects: list[ObjectTrack]
    events: list[Event]
    labels: dict[str, int]
    caption: str
    meta: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Ground truth without the pixels (JSON-serialisable)."""
        return dict(objects=[o.to_json() for o in self.objects],
                    events=[e.to_json() for e in self.events],
                    labels=dict(self.labels), caption=self.caption, meta=dict(self.meta))
