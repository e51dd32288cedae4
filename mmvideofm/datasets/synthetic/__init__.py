"""The procedural synthetic video world (see DESIGN.md, "Data").

    from mmvideofm.datasets.synthetic import SyntheticWorld, WorldConfig
    world = SyntheticWorld(WorldConfig(num_frames=16, size=32, max_objects=3), seed=0)
    clip = world.sample(7, task='direction')   # pure function of (seed, split, index, task)
    clip.frames    # (T, H, W, 3) uint8 RGB
    clip.objects   # [ObjectTrack(id, shape, size, colors[T], boxes (T, 4) xyxy, visible (T,),
                   #              direction)]
    clip.events    # [Event(frame, kind, objects, detail)], sorted by frame
    clip.labels    # {task: label index or -1}, derived from the ground truth
    clip.caption   # "a red circle moves left while a blue square stays still"

Tasks (``TASKS``; every label needs time):

- ``direction`` (9): direction of the one moving object among 2..max_objects, or
  'static'. Static objects are placed where a phantom mover would be at a random
  time, so one frame does not show which object moves.
- ``count`` (4): number of colour changes (0..3) among static objects.
- ``order`` (4 shapes): two objects of different shapes change colour; which shape
  first. One frame narrows it to the shapes on screen.
- ``event_order`` (2): one object changes colour, another starts moving; which first.

Single-frame check (small CNN, 3000 train / 600 val clips, 16x32x32, middle frame;
``first+last`` = the two end frames stacked): direction 11% (chance 11%; first
frame alone 22%, as paths must fit in the frame; first+last 95%), count 23%
(chance 25%), order 46% (chance 25%, see above), event_order 56% (chance 50%).

``task=None`` draws free clips: objects appear, disappear, move in windows
(start/stop events), change colour and collide; some labels are then -1.
Exporters to mp4 / frame folders + mmaction2 lists + JSON ground truth are in
:mod:`mmvideofm.datasets.synthetic.export` (CLI: ``tools/data/make_synthetic.py``).

Modules by role (imports flow one way, top to bottom): ``structures`` (vocabulary,
``WorldConfig``, ground-truth records), ``render`` (rasterising), ``scene`` (object
plans, placement, motion, recolouring -> tracks and events), ``captions``, ``tasks``
(the registry: one ``TaskSpec`` entry per task = layout + label function + class
names), ``world`` (``SyntheticWorld``), ``export``. A new task is one
``register_task(TaskSpec(name, classes, description, layout_fn, label_fn))``.
"""
from .captions import make_caption
from .scene import ObjectPlan, Scene
from .structures import (
    COLORS,
    DIRECTION_VECTORS,
    DIRECTIONS,
    EVENT_KINDS,
    SHAPES,
    SPLITS,
    Clip,
    Event,
    ObjectTrack,
    WorldConfig,
)
from .tasks import EVENT_ORDER_CLASSES, MAX_COUNT, TASKS, TaskSpec, compute_labels, register_task
from .world import SyntheticWorld

__all__ = [
    'SyntheticWorld', 'WorldConfig', 'Clip', 'ObjectTrack', 'Event', 'TASKS', 'TaskSpec',
    'register_task', 'Scene', 'ObjectPlan', 'SHAPES', 'COLORS', 'DIRECTIONS',
    'DIRECTION_VECTORS', 'EVENT_KINDS', 'EVENT_ORDER_CLASSES', 'MAX_COUNT', 'SPLITS',
    'compute_labels', 'make_caption',
]
