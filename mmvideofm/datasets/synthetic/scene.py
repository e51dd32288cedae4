"""Scene building blocks: object plans, placement, motion, recolouring and ground truth.

A task layout (:mod:`.tasks`) composes these on a :class:`Scene` to plan a clip
(objects with a start state and a schedule); :meth:`Scene.ground_truth` turns the
plan into per-frame tracks, events and the sprites to render.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .structures import COLORS, DIRECTION_VECTORS, DIRECTIONS, Event, ObjectTrack, WorldConfig

# events at the same frame are listed in this order
_KIND_RANK = {'appear': 0, 'start_moving': 1, 'collision': 2, 'color_change': 3,
              'stop_moving': 4, 'disappear': 5}

Sprite = tuple[str, int, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class ObjectPlan:
    """Generation-time description of an object (start state + schedule)."""

    shape: str
    size: int
    xy0: np.ndarray                    # (2,) float top-left at frame 0
    vel: np.ndarray                    # (2,) float px / frame while moving
    direction: str = 'static'
    move: tuple[int, int] = (0, 0)     # moves between frames t and t+1 for move[0] <= t < move[1]
    span: tuple[int, int] = (0, 0)     # visible for span[0] <= t < span[1]
    color_changes: list[tuple[int, str]] = field(default_factory=list)  # (frame, new colour)
    color0: str = 'red'


class Scene:
    """Layout operations bound to a ``WorldConfig``; every draw comes from the ``rng`` given."""

    def __init__(self, config: WorldConfig) -> None:
        self.config = config

    def new_obj(self, rng: np.random.Generator, shape: str | None = None) -> ObjectPlan:
        """A static object of random size (and random shape unless given)."""
        cfg = self.config
        lo, hi = cfg.object_size
        size = int(round(cfg.size * rng.uniform(lo, hi)))
        size = max(3, size)
        shape = shape or str(rng.choice(cfg.shapes))
        return ObjectPlan(shape=shape, size=size, xy0=np.zeros(2), vel=np.zeros(2))

    def set_motion(self, rng: np.random.Generator, obj: ObjectPlan, direction: str,
                   move: tuple[int, int]) -> None:
        """Move ``obj`` in ``direction`` between frames ``move``, by a random distance."""
        cfg = self.config
        obj.direction, obj.move = direction, move
        unit = np.array(DIRECTION_VECTORS[direction], float)
        if direction == 'static' or move[1] <= move[0]:
            obj.vel = np.zeros(2)
            obj.direction, obj.move = 'static', (0, 0)
            return
        dist = cfg.size * rng.uniform(*cfg.motion)
        dist = min(dist, cfg.size - obj.size)  # the path must fit in the frame
        obj.vel = unit * dist / (move[1] - move[0])

    def place(self, rng: np.random.Generator, objs: list[ObjectPlan]) -> None:
        """Random start positions that keep each path inside the frame; few overlaps."""
        cfg = self.config
        placed: list[np.ndarray] = []  # boxes (T, 4) of already placed objects
        for obj in objs:
            disp = obj.vel * (obj.move[1] - obj.move[0])
            lo = np.maximum(0.0, -disp)
            hi = np.maximum(lo, cfg.size - obj.size - np.maximum(0.0, disp))
            best, best_overlap = None, None
            for _ in range(20):
                xy0 = rng.uniform(lo, hi)
                obj.xy0 = xy0
                boxes = self.boxes(obj)
                overlap = sum(int(overlap_frames(boxes, b).sum()) for b in placed)
                if best is None or overlap < best_overlap:
                    best, best_overlap = xy0, overlap
                if overlap == 0:
                    break
            obj.xy0 = best
            placed.append(self.boxes(obj))

    def place_unbiased(self, rng: np.random.Generator, objs: list[ObjectPlan]) -> None:
        """Placement that hides which object moves from any single frame.

        A mover's path must fit in the frame, so its position at frame t depends
        on its direction. Each static object is therefore placed where a
        *phantom* mover (random direction, incl. 'static') would be at a random
        time, so static and moving objects share one position distribution. No
        overlap avoidance: avoiding the mover's path would draw it in the frame.
        """
        T = self.config.num_frames
        for obj in objs:
            if obj.direction != 'static':
                self.place(rng, [obj])
                continue
            phantom = ObjectPlan(obj.shape, obj.size, np.zeros(2), np.zeros(2))
            self.set_motion(rng, phantom, str(rng.choice(DIRECTIONS)), (0, T - 1))
            self.place(rng, [phantom])
            tau = int(rng.integers(0, T))
            obj.xy0 = phantom.xy0 + phantom.vel * tau

    def assign_colors(self, rng: np.random.Generator, objs: list[ObjectPlan]) -> None:
        """Distinct start colours."""
        names = rng.choice(self.config.colors, size=len(objs), replace=False)
        for obj, name in zip(objs, names):
            obj.color0 = str(name)

    def change_frames(self, rng: np.random.Generator, k: int, min_gap: int = 1,
                      last: int | None = None) -> list[int]:
        """``k`` sorted event frames in ``[2, last]`` at least ``min_gap`` apart."""
        T = self.config.num_frames
        choices = np.arange(2, (T - 2 if last is None else last) + 1)
        for _ in range(100):
            frames = np.sort(rng.choice(choices, size=k, replace=False))
            if k < 2 or np.diff(frames).min() >= min_gap:
                return [int(f) for f in frames]
        return [int(f) for f in choices[::min_gap][:k]]

    def recolor(self, rng: np.random.Generator, objs: list[ObjectPlan],
                plan: list[tuple[int, int]]) -> None:
        """Apply colour changes ``(frame, object index)`` with new, unused colours."""
        current = [o.color0 for o in objs]
        for frame, i in sorted(plan):
            free = [c for c in self.config.colors if c not in current]
            new = str(rng.choice(free))
            objs[i].color_changes.append((frame, new))
            current[i] = new

    # ------------------------------------------------------------------ ground truth
    def xy(self, obj: ObjectPlan) -> np.ndarray:
        """Integer top-left corners ``(T, 2)``."""
        t = np.arange(self.config.num_frames)
        steps = np.clip(t - obj.move[0], 0, obj.move[1] - obj.move[0])  # (T,)
        xy = obj.xy0[None] + steps[:, None] * obj.vel[None]
        return np.clip(np.rint(xy), 0, self.config.size - obj.size).astype(np.int64)

    def boxes(self, obj: ObjectPlan) -> np.ndarray:
        """``(T, 4)`` float xyxy boxes (visibility ignored)."""
        xy = self.xy(obj).astype(np.float64)
        return np.concatenate([xy, xy + obj.size], axis=1)

    def ground_truth(self, objs: list[ObjectPlan]
                     ) -> tuple[list[ObjectTrack], list[Event], list[Sprite]]:
        """Tracks, time-sorted events and sprites (``render_frames`` input) of a plan."""
        T = self.config.num_frames
        tracks, sprites, events = [], [], []
        for oid, obj in enumerate(objs):
            visible = np.zeros(T, bool)
            visible[obj.span[0]:obj.span[1]] = True
            colors = [obj.color0] * T
            for frame, new in obj.color_changes:
                events.append(Event(frame, 'color_change', (oid,),
                                    {'from': colors[frame], 'to': new}))
                colors[frame:] = [new] * (T - frame)
            xy = self.xy(obj)
            boxes = np.concatenate([xy, xy + obj.size], axis=1).astype(np.float64)
            boxes[~visible] = np.nan
            tracks.append(ObjectTrack(oid, obj.shape, obj.size, colors, boxes, visible,
                                      obj.direction))
            rgb = np.array([COLORS[c] for c in colors], np.uint8)
            sprites.append((obj.shape, obj.size, xy, visible, rgb))
            if obj.span[0] > 0:
                events.append(Event(obj.span[0], 'appear', (oid,)))
            if obj.span[1] < T:
                events.append(Event(obj.span[1], 'disappear', (oid,)))
            if obj.direction != 'static':
                if obj.move[0] > 0:
                    events.append(Event(obj.move[0], 'start_moving', (oid,),
                                        {'direction': obj.direction}))
                if obj.move[1] < T - 1:
                    events.append(Event(obj.move[1], 'stop_moving', (oid,),
                                        {'direction': obj.direction}))
        events += collisions(tracks)
        events.sort(key=lambda e: (e.frame, _KIND_RANK[e.kind], e.objects))
        return tracks, events, sprites


def overlap_frames(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-frame overlap of two ``(T, 4)`` box tracks (False where either is NaN)."""
    with np.errstate(invalid='ignore'):
        return ((a[:, 0] < b[:, 2]) & (b[:, 0] < a[:, 2]) &
                (a[:, 1] < b[:, 3]) & (b[:, 1] < a[:, 3]))


def collisions(tracks: list[ObjectTrack]) -> list[Event]:
    """A collision is the first frame two visible objects touch after being apart."""
    events = []
    for i in range(len(tracks)):
        for j in range(i + 1, len(tracks)):
            both = tracks[i].visible & tracks[j].visible
            over = overlap_frames(tracks[i].boxes, tracks[j].boxes) & both
            for t in range(1, len(over)):
                if over[t] and both[t - 1] and not over[t - 1]:
                    events.append(Event(t, 'collision', (tracks[i].id, tracks[j].id)))
    return events
