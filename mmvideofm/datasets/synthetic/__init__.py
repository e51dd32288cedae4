"""The procedural synthetic video world (see DESIGN.md, "Data").

    from mmvideofm.datasets.synthetic import SyntheticWorld, WorldConfig
    clip = SyntheticWorld(WorldConfig(num_frames=16, size=32), seed=0).sample(7, 'direction')
    clip.frames, clip.objects, clip.events, clip.labels, clip.caption
"""
from .tasks import (
    COLORS,
    DIRECTION_VECTORS,
    DIRECTIONS,
    EVENT_KINDS,
    EVENT_ORDER_CLASSES,
    SHAPES,
    TASKS,
    TaskSpec,
    compute_labels,
)
from .world import SPLITS, Clip, Event, ObjectTrack, SyntheticWorld, WorldConfig, make_caption

__all__ = [
    'SyntheticWorld', 'WorldConfig', 'Clip', 'ObjectTrack', 'Event', 'TASKS', 'TaskSpec',
    'SHAPES', 'COLORS', 'DIRECTIONS', 'DIRECTION_VECTORS', 'EVENT_KINDS',
    'EVENT_ORDER_CLASSES', 'SPLITS', 'compute_labels', 'make_caption',
]
