"""The task registry of the synthetic world: one :class:`TaskSpec` entry per task.

A task is a layout (how a clip that answers the question is planned, drawing from
the clip's ``rng``) and a label function (ground truth -> class index). Labels are
pure functions of a clip's ground truth, so every task labels clips made for any
task; ``-1`` means the question has no single answer for that clip (e.g. two
objects move). Adding a task is one ``register_task(TaskSpec(...))`` entry.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .scene import ObjectPlan, Scene
from .structures import DIRECTIONS, SHAPES, Clip

MAX_COUNT = 3
EVENT_ORDER_CLASSES = ('color_change_first', 'start_moving_first')

Layout = Callable[[Scene, np.random.Generator], tuple[list[ObjectPlan], int]]


@dataclass(frozen=True)
class TaskSpec:
    """A classification task over synthetic clips.

    Attributes:
        name: task name (key of ``TASKS``).
        classes: class names; a label is an index into this list.
        description: the question in words.
        layout_fn: ``(scene, rng) -> (object plans, label)``: plans a clip whose
            label is defined; the world checks ``label_fn`` agrees.
        label_fn: ground truth -> label index (``-1`` when undefined).
        needs_time: True when one frame cannot answer the question.
    """

    name: str
    classes: list[str]
    description: str
    layout_fn: Layout = field(repr=False, compare=False)
    label_fn: Callable[[Clip], int] = field(repr=False, compare=False)
    needs_time: bool = True

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)


TASKS: dict[str, TaskSpec] = {}


def register_task(spec: TaskSpec) -> TaskSpec:
    """Add ``spec`` to ``TASKS`` (names are unique; labels of every task go into each clip)."""
    if spec.name in TASKS:
        raise KeyError(f'synthetic task {spec.name!r} is already registered; pick another name')
    TASKS[spec.name] = spec
    return spec


def compute_labels(clip: Clip) -> dict[str, int]:
    """Labels of every task in ``TASKS`` for ``clip`` (``-1`` = undefined)."""
    return {name: spec.label_fn(clip) for name, spec in TASKS.items()}


def _movers(clip: Clip) -> list:
    return [o for o in clip.objects if o.direction not in (None, 'static')]


def _full_span(scene: Scene, objs: list[ObjectPlan]) -> None:
    for obj in objs:
        obj.span = (0, scene.config.num_frames)


def _need(scene: Scene, task: str, objects: int = 2, shapes: int = 0) -> None:
    cfg = scene.config
    if cfg.max_objects < objects or len(cfg.shapes) < shapes:
        what = f'max_objects >= {objects}' + (f' and at least {shapes} shapes' if shapes else '')
        raise ValueError(f'task {task!r} needs {what}')


# ---------------------------------------------------------------------- direction
def direction_layout(scene: Scene, rng: np.random.Generator) -> tuple[list[ObjectPlan], int]:
    """2..max_objects objects, one of which may move the whole clip; no frame shows which."""
    cfg = scene.config
    n = int(rng.integers(min(2, cfg.max_objects), cfg.max_objects + 1))
    objs = [scene.new_obj(rng) for _ in range(n)]
    label = int(rng.integers(len(DIRECTIONS)))
    if DIRECTIONS[label] != 'static':
        mover = objs[int(rng.integers(n))]
        scene.set_motion(rng, mover, DIRECTIONS[label], (0, cfg.num_frames - 1))
    _full_span(scene, objs)
    scene.assign_colors(rng, objs)
    scene.place_unbiased(rng, objs)
    return objs, label


def direction_label(clip: Clip) -> int:
    """Direction of the single moving object; 'static' when none moves; -1 if several."""
    movers = _movers(clip)
    if not movers:
        return DIRECTIONS.index('static')
    if len(movers) > 1:
        return -1
    return DIRECTIONS.index(movers[0].direction)


# ---------------------------------------------------------------------- count
def count_layout(scene: Scene, rng: np.random.Generator) -> tuple[list[ObjectPlan], int]:
    """1..max_objects static objects with 0..MAX_COUNT colour changes."""
    cfg = scene.config
    n = int(rng.integers(1, cfg.max_objects + 1))
    objs = [scene.new_obj(rng) for _ in range(n)]
    _full_span(scene, objs)
    scene.assign_colors(rng, objs)
    k = int(rng.integers(0, MAX_COUNT + 1))
    frames = scene.change_frames(rng, k)
    scene.recolor(rng, objs, [(f, int(rng.integers(n))) for f in frames])
    scene.place(rng, objs)
    return objs, k


def count_label(clip: Clip) -> int:
    """Number of colour changes in the clip (0..3); -1 when more."""
    n = sum(e.kind == 'color_change' for e in clip.events)
    return n if n <= MAX_COUNT else -1


# ---------------------------------------------------------------------- order
def order_layout(scene: Scene, rng: np.random.Generator) -> tuple[list[ObjectPlan], int]:
    """Two objects of different shapes change colour; the first one's shape is the label."""
    cfg = scene.config
    _need(scene, 'order', objects=2, shapes=2)
    n = int(rng.integers(2, cfg.max_objects + 1))
    first_shape, second_shape = (str(s) for s in rng.choice(cfg.shapes, 2, replace=False))
    objs = [scene.new_obj(rng, first_shape), scene.new_obj(rng, second_shape)]
    objs += [scene.new_obj(rng) for _ in range(n - 2)]
    order = rng.permutation(n)  # draw order / ids do not reveal the answer
    objs = [objs[i] for i in order]
    i_first, i_second = int(np.flatnonzero(order == 0)[0]), int(np.flatnonzero(order == 1)[0])
    _full_span(scene, objs)
    scene.assign_colors(rng, objs)
    t1, t2 = scene.change_frames(rng, 2, min_gap=2)
    scene.recolor(rng, objs, [(t1, i_first), (t2, i_second)])
    scene.place(rng, objs)
    return objs, SHAPES.index(first_shape)


def order_label(clip: Clip) -> int:
    """Shape of the object that changed colour first, of exactly two changes by two shapes.

    A single frame narrows the answer to the shapes on screen (2-3 of 4), so
    it is above chance without time; ``event_order`` has no such cue.
    """
    changes = [e for e in clip.events if e.kind == 'color_change']
    if len(changes) != 2 or changes[0].frame == changes[1].frame:
        return -1
    first, second = sorted(changes, key=lambda e: e.frame)
    shapes = {o.id: o.shape for o in clip.objects}
    s1, s2 = shapes[first.objects[0]], shapes[second.objects[0]]
    if s1 == s2 or s1 not in SHAPES:
        return -1
    return SHAPES.index(s1)


# ---------------------------------------------------------------------- mover_shape
def mover_shape_layout(scene: Scene, rng: np.random.Generator) -> tuple[list[ObjectPlan], int]:
    """2..max_objects objects of distinct shapes; exactly one moves (placed so that no
    single frame tells which); its shape is the label."""
    cfg = scene.config
    _need(scene, 'mover_shape', objects=2, shapes=2)
    n = int(rng.integers(2, min(cfg.max_objects, len(cfg.shapes)) + 1))
    shapes = [str(s) for s in rng.choice(cfg.shapes, n, replace=False)]
    objs = [scene.new_obj(rng, shape) for shape in shapes]
    mover = objs[int(rng.integers(n))]
    scene.set_motion(rng, mover, str(rng.choice(DIRECTIONS[:-1])), (0, cfg.num_frames - 1))
    _full_span(scene, objs)
    scene.assign_colors(rng, objs)
    scene.place_unbiased(rng, objs)
    return objs, SHAPES.index(mover.shape)


def mover_shape_label(clip: Clip) -> int:
    """Shape of the single moving object among objects of distinct shapes; -1 otherwise.

    Needs time (which object moves) and appearance (its shape): one frame narrows the
    answer to the shapes on screen, 1 of 2-3.
    """
    movers = _movers(clip)
    shapes = [o.shape for o in clip.objects]
    if len(movers) != 1 or len(set(shapes)) != len(shapes) or movers[0].shape not in SHAPES:
        return -1
    return SHAPES.index(movers[0].shape)


# ---------------------------------------------------------------------- event_order
def event_order_layout(scene: Scene, rng: np.random.Generator) -> tuple[list[ObjectPlan], int]:
    """One object changes colour, another starts moving; which comes first is the label.

    Neither event can be seen in one frame (the initial colour and the start
    position are unknown), and which object does what is random.
    """
    cfg = scene.config
    _need(scene, 'event_order', objects=2)
    T = cfg.num_frames
    n = int(rng.integers(2, cfg.max_objects + 1))
    objs = [scene.new_obj(rng) for _ in range(n)]
    _full_span(scene, objs)
    scene.assign_colors(rng, objs)
    i_change, i_move = (int(i) for i in rng.choice(n, size=2, replace=False))
    frames = scene.change_frames(rng, 2, min_gap=2, last=T - 4)
    t_change, t_move = (int(t) for t in rng.permutation(frames))
    scene.recolor(rng, objs, [(t_change, i_change)])
    scene.set_motion(rng, objs[i_move], str(rng.choice(DIRECTIONS[:-1])), (t_move, T - 1))
    scene.place_unbiased(rng, objs)
    label = EVENT_ORDER_CLASSES.index('color_change_first' if t_change < t_move
                                      else 'start_moving_first')
    return objs, label


def event_order_label(clip: Clip) -> int:
    """Which came first: the (single) colour change or the (single) start of a motion."""
    changes = [e.frame for e in clip.events if e.kind == 'color_change']
    starts = [e.frame for e in clip.events if e.kind == 'start_moving']
    if len(changes) != 1 or len(starts) != 1 or changes[0] == starts[0]:
        return -1
    return EVENT_ORDER_CLASSES.index('color_change_first' if changes[0] < starts[0]
                                     else 'start_moving_first')


# ---------------------------------------------------------------------- free clips (no task)
def free_layout(scene: Scene, rng: np.random.Generator) -> list[ObjectPlan]:
    """Any mix of appearing, disappearing, moving (in windows) and recolouring objects."""
    cfg = scene.config
    T = cfg.num_frames
    n = int(rng.integers(1, cfg.max_objects + 1))
    objs = [scene.new_obj(rng) for _ in range(n)]
    scene.assign_colors(rng, objs)
    plan = []
    for i, obj in enumerate(objs):
        start = int(rng.integers(1, T // 2)) if rng.random() < 0.3 else 0
        stop = int(rng.integers(start + 4, T)) if rng.random() < 0.3 else T
        obj.span = (start, stop)
        length = stop - start
        if rng.random() < 0.5 and length >= 6:  # move while visible
            s = int(rng.integers(start, start + length // 4 + 1))
            e = int(rng.integers(s + length // 2, stop))
            scene.set_motion(rng, obj, str(rng.choice(DIRECTIONS[:-1])), (s, e))
        if rng.random() < 0.3 and stop - start > 3:
            plan.append((int(rng.integers(start + 1, stop - 1)), i))
    plan = list(dict((f, (f, i)) for f, i in plan).values())  # one change per frame
    scene.recolor(rng, objs, plan)
    scene.place(rng, objs)
    return objs


# ---------------------------------------------------------------------- the registry
# the order of registration is the order of ``clip.labels`` (and of exported JSON)
register_task(TaskSpec(
    'direction', list(DIRECTIONS),
    'In which direction does the moving object move (or does nothing move)?',
    direction_layout, direction_label))
register_task(TaskSpec(
    'count', [str(i) for i in range(MAX_COUNT + 1)],
    'How many times does an object change its colour?', count_layout, count_label))
register_task(TaskSpec(
    'order', list(SHAPES),
    'Two objects change colour: which shape changes colour first?', order_layout, order_label))
register_task(TaskSpec(
    'mover_shape', list(SHAPES),
    'One object moves, the others stand still: what is the shape of the moving object?',
    mover_shape_layout, mover_shape_label))
register_task(TaskSpec(
    'event_order', list(EVENT_ORDER_CLASSES),
    'One object changes colour and another starts moving: which happens first?',
    event_order_layout, event_order_label))
