"""Task definitions of the synthetic world: class lists and labels derived from ground truth.

Every label is a pure function of a clip's ground truth (objects and events),
so the same functions label clips made for any task; ``-1`` means the task's
question has no single answer for that clip (e.g. two objects move).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .world import Clip

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
MAX_COUNT = 3
EVENT_ORDER_CLASSES = ('color_change_first', 'start_moving_first')


@dataclass(frozen=True)
class TaskSpec:
    """A classification task over synthetic clips.

    Attributes:
        name: task name (key of ``TASKS``).
        classes: class names; a label is an index into this list.
        needs_time: True when one frame cannot answer the question.
        description: the question in words.
        label_fn: ground truth -> label index (``-1`` when undefined).
    """

    name: str
    classes: list[str]
    needs_time: bool
    description: str
    label_fn: Callable[[Clip], int] = field(repr=False, compare=False)

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def direction_label(clip: Clip) -> int:
    """Direction of the single moving object; 'static' when none moves; -1 if several."""
    movers = [o for o in clip.objects if o.direction not in (None, 'static')]
    if not movers:
        return DIRECTIONS.index('static')
    if len(movers) > 1:
        return -1
    return DIRECTIONS.index(movers[0].direction)


def count_label(clip: Clip) -> int:
    """Number of colour changes in the clip (0..3); -1 when more."""
    n = sum(e.kind == 'color_change' for e in clip.events)
    return n if n <= MAX_COUNT else -1


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


def mover_shape_label(clip: Clip) -> int:
    """Shape of the single moving object among objects of distinct shapes; -1 otherwise.

    Needs time (which object moves) and appearance (its shape): one frame narrows the
    answer to the shapes on screen, 1 of 2-3.
    """
    movers = [o for o in clip.objects if o.direction not in (None, 'static')]
    shapes = [o.shape for o in clip.objects]
    if len(movers) != 1 or len(set(shapes)) != len(shapes) or movers[0].shape not in SHAPES:
        return -1
    return SHAPES.index(movers[0].shape)


def event_order_label(clip: Clip) -> int:
    """Which came first: the (single) colour change or the (single) start of a motion."""
    changes = [e.frame for e in clip.events if e.kind == 'color_change']
    starts = [e.frame for e in clip.events if e.kind == 'start_moving']
    if len(changes) != 1 or len(starts) != 1 or changes[0] == starts[0]:
        return -1
    return EVENT_ORDER_CLASSES.index('color_change_first' if changes[0] < starts[0]
                                     else 'start_moving_first')


TASKS: dict[str, TaskSpec] = {
    'direction': TaskSpec(
        'direction', list(DIRECTIONS), True,
        'In which direction does the moving object move (or does nothing move)?',
        direction_label),
    'count': TaskSpec(
        'count', [str(i) for i in range(MAX_COUNT + 1)], True,
        'How many times does an object change its colour?', count_label),
    'order': TaskSpec(
        'order', list(SHAPES), True,
        'Two objects change colour: which shape changes colour first?', order_label),
    'mover_shape': TaskSpec(
        'mover_shape', list(SHAPES), True,
        'One object moves, the others stand still: what is the shape of the moving object?',
        mover_shape_label),
    'event_order': TaskSpec(
        'event_order', list(EVENT_ORDER_CLASSES), True,
        'One object changes colour and another starts moving: which happens first?',
        event_order_label),
}


def compute_labels(clip: Clip) -> dict[str, int]:
    """Labels of every task in ``TASKS`` for ``clip`` (``-1`` = undefined)."""
    return {name: spec.label_fn(clip) for name, spec in TASKS.items()}
