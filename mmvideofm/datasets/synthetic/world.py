"""The procedural synthetic video world: seeded clips of moving, recolouring shapes.

``SyntheticWorld(WorldConfig(...), seed).sample(index, task)`` is a pure
function of ``(seed, split, index, task)``: it draws from its own
``np.random.Generator`` (never the global RNG), lays out a few small shapes on a
textured background, animates them (motion in 8 directions or none, colour
changes, appearing, disappearing; collisions are detected) and returns the
frames with full ground truth. Task labels and captions are derived from that
ground truth, never stored separately.
"""
from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .render import make_background, render_frames
from .tasks import (
    COLORS,
    DIRECTION_VECTORS,
    DIRECTIONS,
    EVENT_ORDER_CLASSES,
    SHAPES,
    TASKS,
    compute_labels,
)

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


@dataclass
class _Obj:
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

    def rng(self, index: int, task: str | None = None) -> np.random.Generator:
        """The generator that ``sample(index, task)`` draws from."""
        entropy = [self.seed, SPLITS[self.split], _task_code(task), int(index)]
        return np.random.default_rng(np.random.SeedSequence(entropy))

    # ------------------------------------------------------------------ sampling
    def sample(self, index: int, task: str | None = None) -> Clip:
        """Clip number ``index``; ``task`` picks a layout whose label is defined for it.

        ``task=None`` draws a free clip (any mix of events; some task labels may be -1).
        """
        if task is not None and task not in TASKS:
            raise KeyError(f'unknown task {task!r}; choose from {list(TASKS)}')
        rng = self.rng(index, task)
        cfg = self.config
        if task == 'direction':
            objs, want = self._layout_direction(rng)
        elif task == 'count':
            objs, want = self._layout_count(rng)
        elif task == 'order':
            objs, want = self._layout_order(rng)
        elif task == 'event_order':
            objs, want = self._layout_event_order(rng)
        elif task == 'mover_shape':
            objs, want = self._layout_mover_shape(rng)
        else:
            objs, want = self._layout_free(rng), None
        background = make_background(rng, cfg.size, cfg.size, cfg.noise)
        clip = self._build(objs, background)
        clip.meta = dict(seed=self.seed, split=self.split, index=int(index), task=task,
                         config=asdict(cfg))
        if want is not None and clip.labels[task] != want:  # generator and label_fn disagree
            raise RuntimeError(f'synthetic world bug: task {task} index {index}: wanted label '
                               f'{want}, ground truth gives {clip.labels[task]}')
        return clip

    # ------------------------------------------------------------------ layouts
    def _new_obj(self, rng: np.random.Generator, shape: str | None = None) -> _Obj:
        cfg = self.config
        lo, hi = cfg.object_size
        size = int(round(cfg.size * rng.uniform(lo, hi)))
        size = max(3, size)
        shape = shape or str(rng.choice(cfg.shapes))
        return _Obj(shape=shape, size=size, xy0=np.zeros(2), vel=np.zeros(2))

    def _set_motion(self, rng: np.random.Generator, obj: _Obj, direction: str,
                    move: tuple[int, int]) -> None:
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

    def _place(self, rng: np.random.Generator, objs: list[_Obj]) -> None:
        """Random start positions that keep each path inside the frame; few overlaps."""
        cfg = self.config
        T = cfg.num_frames
        placed: list[np.ndarray] = []  # boxes (T, 4) of already placed objects
        for obj in objs:
            disp = obj.vel * (obj.move[1] - obj.move[0])
            lo = np.maximum(0.0, -disp)
            hi = np.maximum(lo, cfg.size - obj.size - np.maximum(0.0, disp))
            best, best_overlap = None, None
            for _ in range(20):
                xy0 = rng.uniform(lo, hi)
                obj.xy0 = xy0
                boxes = self._boxes(obj, T)
                overlap = sum(int(_overlap_frames(boxes, b).sum()) for b in placed)
                if best is None or overlap < best_overlap:
                    best, best_overlap = xy0, overlap
                if overlap == 0:
                    break
            obj.xy0 = best
            placed.append(self._boxes(obj, T))

    def _colors(self, rng: np.random.Generator, objs: list[_Obj]) -> None:
        names = rng.choice(self.config.colors, size=len(objs), replace=False)
        for obj, name in zip(objs, names):
            obj.color0 = str(name)

    def _layout_direction(self, rng: np.random.Generator) -> tuple[list[_Obj], int]:
        cfg = self.config
        n = int(rng.integers(min(2, cfg.max_objects), cfg.max_objects + 1))
        objs = [self._new_obj(rng) for _ in range(n)]
        label = int(rng.integers(len(DIRECTIONS)))
        if DIRECTIONS[label] != 'static':
            mover = objs[int(rng.integers(n))]
            self._set_motion(rng, mover, DIRECTIONS[label], (0, cfg.num_frames - 1))
        for obj in objs:
            obj.span = (0, cfg.num_frames)
        self._colors(rng, objs)
        self._place_unbiased(rng, objs)
        return objs, label

    def _layout_mover_shape(self, rng: np.random.Generator) -> tuple[list[_Obj], int]:
        """2..max_objects objects of distinct shapes; exactly one moves (placed so that no
        single frame tells which); its shape is the label."""
        cfg = self.config
        if cfg.max_objects < 2 or len(cfg.shapes) < 2:
            raise ValueError("task 'mover_shape' needs max_objects >= 2 and at least 2 shapes")
        n = int(rng.integers(2, min(cfg.max_objects, len(cfg.shapes)) + 1))
        shapes = [str(s) for s in rng.choice(cfg.shapes, n, replace=False)]
        objs = [self._new_obj(rng, shape) for shape in shapes]
        mover = objs[int(rng.integers(n))]
        self._set_motion(rng, mover, str(rng.choice(DIRECTIONS[:-1])), (0, cfg.num_frames - 1))
        for obj in objs:
            obj.span = (0, cfg.num_frames)
        self._colors(rng, objs)
        self._place_unbiased(rng, objs)
        return objs, SHAPES.index(mover.shape)

    def _place_unbiased(self, rng: np.random.Generator, objs: list[_Obj]) -> None:
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
                self._place(rng, [obj])
                continue
            phantom = _Obj(obj.shape, obj.size, np.zeros(2), np.zeros(2))
            self._set_motion(rng, phantom, str(rng.choice(DIRECTIONS)), (0, T - 1))
            self._place(rng, [phantom])
            tau = int(rng.integers(0, T))
            obj.xy0 = phantom.xy0 + phantom.vel * tau

    def _change_frames(self, rng: np.random.Generator, k: int, min_gap: int = 1,
                       last: int | None = None) -> list[int]:
        """``k`` sorted event frames in ``[2, last]`` at least ``min_gap`` apart."""
        T = self.config.num_frames
        choices = np.arange(2, (T - 2 if last is None else last) + 1)
        for _ in range(100):
            frames = np.sort(rng.choice(choices, size=k, replace=False))
            if k < 2 or np.diff(frames).min() >= min_gap:
                return [int(f) for f in frames]
        return [int(f) for f in choices[::min_gap][:k]]

    def _recolor(self, rng: np.random.Generator, objs: list[_Obj],
                 plan: list[tuple[int, int]]) -> None:
        """Apply colour changes ``(frame, object index)`` with new, unused colours."""
        current = [o.color0 for o in objs]
        for frame, i in sorted(plan):
            free = [c for c in self.config.colors if c not in current]
            new = str(rng.choice(free))
            objs[i].color_changes.append((frame, new))
            current[i] = new

    def _layout_count(self, rng: np.random.Generator) -> tuple[list[_Obj], int]:
        cfg = self.config
        n = int(rng.integers(1, cfg.max_objects + 1))
        objs = [self._new_obj(rng) for _ in range(n)]
        for obj in objs:
            obj.span = (0, cfg.num_frames)
        self._colors(rng, objs)
        k = int(rng.integers(0, len(TASKS['count'].classes)))
        frames = self._change_frames(rng, k)
        self._recolor(rng, objs, [(f, int(rng.integers(n))) for f in frames])
        self._place(rng, objs)
        return objs, k

    def _layout_order(self, rng: np.random.Generator) -> tuple[list[_Obj], int]:
        """Two objects of different shapes change colour; the first one's shape is the label."""
        cfg = self.config
        if cfg.max_objects < 2 or len(cfg.shapes) < 2:
            raise ValueError("task 'order' needs max_objects >= 2 and at least 2 shapes")
        n = int(rng.integers(2, cfg.max_objects + 1))
        first_shape, second_shape = (str(s) for s in rng.choice(cfg.shapes, 2, replace=False))
        objs = [self._new_obj(rng, first_shape), self._new_obj(rng, second_shape)]
        objs += [self._new_obj(rng) for _ in range(n - 2)]
        order = rng.permutation(n)  # draw order / ids do not reveal the answer
        objs = [objs[i] for i in order]
        i_first, i_second = int(np.flatnonzero(order == 0)[0]), int(np.flatnonzero(order == 1)[0])
        for obj in objs:
            obj.span = (0, cfg.num_frames)
        self._colors(rng, objs)
        t1, t2 = self._change_frames(rng, 2, min_gap=2)
        self._recolor(rng, objs, [(t1, i_first), (t2, i_second)])
        self._place(rng, objs)
        return objs, SHAPES.index(first_shape)

    def _layout_event_order(self, rng: np.random.Generator) -> tuple[list[_Obj], int]:
        """One object changes colour, another starts moving; which comes first is the label.

        Neither event can be seen in one frame (the initial colour and the start
        position are unknown), and which object does what is random.
        """
        cfg = self.config
        if cfg.max_objects < 2:
            raise ValueError("task 'event_order' needs max_objects >= 2")
        T = cfg.num_frames
        n = int(rng.integers(2, cfg.max_objects + 1))
        objs = [self._new_obj(rng) for _ in range(n)]
        for obj in objs:
            obj.span = (0, T)
        self._colors(rng, objs)
        i_change, i_move = (int(i) for i in rng.choice(n, size=2, replace=False))
        frames = self._change_frames(rng, 2, min_gap=2, last=T - 4)
        t_change, t_move = (int(t) for t in rng.permutation(frames))
        self._recolor(rng, objs, [(t_change, i_change)])
        self._set_motion(rng, objs[i_move], str(rng.choice(DIRECTIONS[:-1])), (t_move, T - 1))
        self._place_unbiased(rng, objs)
        label = EVENT_ORDER_CLASSES.index('color_change_first' if t_change < t_move
                                          else 'start_moving_first')
        return objs, label

    def _layout_free(self, rng: np.random.Generator) -> list[_Obj]:
        cfg = self.config
        T = cfg.num_frames
        n = int(rng.integers(1, cfg.max_objects + 1))
        objs = [self._new_obj(rng) for _ in range(n)]
        self._colors(rng, objs)
        plan = []
        for i, obj in enumerate(objs):
            start = int(rng.integers(1, T // 2)) if rng.random() < 0.3 else 0
            stop = int(rng.integers(start + 4, T)) if rng.random() < 0.3 else T
            obj.span = (start, stop)
            length = stop - start
            if rng.random() < 0.5 and length >= 6:  # move while visible
                s = int(rng.integers(start, start + length // 4 + 1))
                e = int(rng.integers(s + length // 2, stop))
                self._set_motion(rng, obj, str(rng.choice(DIRECTIONS[:-1])), (s, e))
            if rng.random() < 0.3 and stop - start > 3:
                plan.append((int(rng.integers(start + 1, stop - 1)), i))
        plan = list(dict((f, (f, i)) for f, i in plan).values())  # one change per frame
        self._recolor(rng, objs, plan)
        self._place(rng, objs)
        return objs

    # ------------------------------------------------------------------ ground truth
    def _xy(self, obj: _Obj, T: int) -> np.ndarray:
        """Integer top-left corners ``(T, 2)``."""
        t = np.arange(T)
        steps = np.clip(t - obj.move[0], 0, obj.move[1] - obj.move[0])  # (T,)
        xy = obj.xy0[None] + steps[:, None] * obj.vel[None]
        return np.clip(np.rint(xy), 0, self.config.size - obj.size).astype(np.int64)

    def _boxes(self, obj: _Obj, T: int) -> np.ndarray:
        xy = self._xy(obj, T).astype(np.float64)
        return np.concatenate([xy, xy + obj.size], axis=1)  # (T, 4) xyxy

    def _build(self, objs: list[_Obj], background: np.ndarray) -> Clip:
        cfg = self.config
        T = cfg.num_frames
        tracks, sprites, events = [], [], []
        for oid, obj in enumerate(objs):
            visible = np.zeros(T, bool)
            visible[obj.span[0]:obj.span[1]] = True
            colors = [obj.color0] * T
            for frame, new in obj.color_changes:
                events.append(Event(frame, 'color_change', (oid,),
                                    {'from': colors[frame], 'to': new}))
                colors[frame:] = [new] * (T - frame)
            xy = self._xy(obj, T)
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
        events += _collisions(tracks)
        kind_rank = {'appear': 0, 'start_moving': 1, 'collision': 2, 'color_change': 3,
                     'stop_moving': 4, 'disappear': 5}
        events.sort(key=lambda e: (e.frame, kind_rank[e.kind], e.objects))
        frames = render_frames(background, T, sprites)
        clip = Clip(frames, tracks, events, {}, '', {})
        clip.labels = compute_labels(clip)
        clip.caption = make_caption(clip)
        return clip


def _overlap_frames(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-frame overlap of two ``(T, 4)`` box tracks (False where either is NaN)."""
    with np.errstate(invalid='ignore'):
        return ((a[:, 0] < b[:, 2]) & (b[:, 0] < a[:, 2]) &
                (a[:, 1] < b[:, 3]) & (b[:, 1] < a[:, 3]))


def _collisions(tracks: list[ObjectTrack]) -> list[Event]:
    """A collision is the first frame two visible objects touch after being apart."""
    events = []
    for i in range(len(tracks)):
        for j in range(i + 1, len(tracks)):
            both = tracks[i].visible & tracks[j].visible
            over = _overlap_frames(tracks[i].boxes, tracks[j].boxes) & both
            for t in range(1, len(over)):
                if over[t] and both[t - 1] and not over[t - 1]:
                    events.append(Event(t, 'collision', (tracks[i].id, tracks[j].id)))
    return events


def _name(track: ObjectTrack, frame: int) -> str:
    return f'{track.colors[min(frame, len(track.colors) - 1)]} {track.shape}'


def _a(noun: str) -> str:
    return f'an {noun}' if noun[0] in 'aeiou' else f'a {noun}'


def make_caption(clip: Clip) -> str:
    """Template caption of what happens, in time order, from the ground truth."""
    objs = {o.id: o for o in clip.objects}
    phrases, active = [], set()
    for o in clip.objects:  # motion from the first frame
        if o.direction not in (None, 'static') and not any(
                e.kind == 'start_moving' and e.objects[0] == o.id for e in clip.events):
            first = int(np.flatnonzero(o.visible)[0]) if o.visible.any() else 0
            name = _a(_name(o, first)) if first == 0 else f'the {_name(o, first)}'
            phrases.append((0, f'{name} moves {o.direction}'))
            active.add(o.id)
    for e in clip.events:
        o = objs[e.objects[0]]
        if e.kind == 'appear':
            text = f'{_a(_name(o, e.frame))} appears'
        elif e.kind == 'disappear':
            text = f'the {_name(o, e.frame - 1)} disappears'
        elif e.kind == 'color_change':
            text = f'the {e.detail["from"]} {o.shape} turns {e.detail["to"]}'
        elif e.kind == 'collision':
            text = f'the {_name(o, e.frame)} hits the {_name(objs[e.objects[1]], e.frame)}'
        elif e.kind == 'start_moving':
            text = f'the {_name(o, e.frame)} starts moving {e.detail["direction"]}'
        else:
            text = f'the {_name(o, e.frame)} stops'
        phrases.append((e.frame, text))
        active.update(e.objects)
    idle = [o for o in clip.objects if o.id not in active and o.visible[0]]
    idle_text = ''
    if idle:
        names = [_a(_name(o, 0)) for o in idle]
        listed = names[0] if len(names) == 1 else ', '.join(names[:-1]) + ' and ' + names[-1]
        idle_text = f'{listed} {"stays" if len(idle) == 1 else "stay"} still'
    if not phrases:
        return idle_text or 'nothing happens'
    caption = ', then '.join(text for _, text in phrases)
    return f'{caption} while {idle_text}' if idle_text else caption
