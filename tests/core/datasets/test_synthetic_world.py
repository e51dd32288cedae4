import json

import numpy as np
import pytest

from mmvideofm.datasets.synthetic import (
    COLORS,
    DIRECTION_VECTORS,
    DIRECTIONS,
    EVENT_KINDS,
    EVENT_ORDER_CLASSES,
    SHAPES,
    TASKS,
    Clip,
    SyntheticWorld,
    WorldConfig,
)

N = 40


@pytest.fixture(scope='module')
def world():
    return SyntheticWorld(WorldConfig(num_frames=16, size=32, max_objects=3), seed=0)


def test_api_shapes_and_types(world):
    clip = world.sample(0, 'direction')
    assert isinstance(clip, Clip)
    assert clip.frames.dtype == np.uint8 and clip.frames.shape == (16, 32, 32, 3)
    assert set(clip.labels) == set(TASKS)
    assert isinstance(clip.caption, str) and clip.caption
    assert clip.meta['seed'] == 0 and clip.meta['index'] == 0 and clip.meta['task'] == 'direction'
    for o in clip.objects:
        assert o.shape in SHAPES and o.direction in DIRECTIONS
        assert o.boxes.shape == (16, 4) and o.visible.shape == (16,) and len(o.colors) == 16
        assert all(c in COLORS for c in o.colors)
    for spec in TASKS.values():
        assert spec.needs_time and len(spec.classes) >= 2
    assert TASKS['direction'].classes == list(DIRECTIONS) and len(DIRECTIONS) == 9
    json.dumps(clip.to_json())  # ground truth is JSON-serialisable


def test_deterministic_and_seeded(world):
    state = np.random.get_state()
    a = world.sample(5, 'count')
    b = SyntheticWorld(WorldConfig(), seed=0).sample(5, 'count')
    assert np.random.get_state()[1].tolist() == state[1].tolist()  # global RNG untouched
    np.testing.assert_array_equal(a.frames, b.frames)
    assert a.caption == b.caption and a.labels == b.labels
    assert a.to_json() == b.to_json()
    c = SyntheticWorld(WorldConfig(), seed=1).sample(5, 'count')
    d = SyntheticWorld(WorldConfig(), seed=0, split='val').sample(5, 'count')
    e = world.sample(5, 'order')
    for other in (c, d, e):
        assert not np.array_equal(a.frames, other.frames)


def _centre(box):
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


def test_direction_label_matches_box_displacement(world):
    seen = set()
    for i in range(N * 2):
        clip = world.sample(i, 'direction')
        label = DIRECTIONS[clip.labels['direction']]
        seen.add(label)
        assert len(clip.objects) >= 2  # one frame cannot tell which object moves
        moved = []
        for o in clip.objects:
            assert o.visible.all()
            disp = _centre(o.boxes[-1]) - _centre(o.boxes[0])
            if np.abs(disp).max() > 0:
                moved.append((o, disp))
        if label == 'static':
            assert moved == []
            continue
        assert len(moved) == 1
        o, disp = moved[0]
        assert o.direction == label
        np.testing.assert_array_equal(np.sign(np.round(disp)), DIRECTION_VECTORS[label])
        assert np.abs(disp).max() >= 0.25 * 32  # clearly visible motion
        # pixels: the object's colour is at its box in the first and the last frame
        for t in (0, 15):
            x0, y0, x1, y1 = o.boxes[t].astype(int)
            patch = clip.frames[t, y0:y1, x0:x1].reshape(-1, 3)
            assert (patch == COLORS[o.colors[t]]).all(1).any()
        assert clip.events == [] or all(e.kind == 'collision' for e in clip.events)
    assert len(seen) >= 8


def test_count_label_matches_colour_changes(world):
    seen = set()
    for i in range(N):
        clip = world.sample(i, 'count')
        n_changes = sum(int(np.sum(np.array(o.colors[1:]) != np.array(o.colors[:-1])))
                        for o in clip.objects)
        assert clip.labels['count'] == n_changes
        changes = [e for e in clip.events if e.kind == 'color_change']
        assert len(changes) == n_changes
        for e in changes:
            o = clip.objects[e.objects[0]]
            assert o.colors[e.frame - 1] == e.detail['from'] != e.detail['to'] == o.colors[e.frame]
            x0, y0, x1, y1 = o.boxes[e.frame].astype(int)
            patch = clip.frames[e.frame, y0:y1, x0:x1].reshape(-1, 3)
            assert (patch == COLORS[e.detail['to']]).all(1).any()
        seen.add(n_changes)
    assert seen == {0, 1, 2, 3}


def test_order_label_is_first_changer(world):
    seen = set()
    for i in range(N):
        clip = world.sample(i, 'order')
        changes = sorted((e for e in clip.events if e.kind == 'color_change'),
                         key=lambda e: e.frame)
        assert len(changes) == 2 and changes[0].frame < changes[1].frame
        first = clip.objects[changes[0].objects[0]]
        second = clip.objects[changes[1].objects[0]]
        assert first.shape != second.shape
        assert TASKS['order'].classes[clip.labels['order']] == first.shape
        assert first.shape in clip.caption and 'turns' in clip.caption
        seen.add(first.shape)
    assert len(seen) >= 3


def test_event_order_label_matches_event_times(world):
    seen = set()
    for i in range(N):
        clip = world.sample(i, 'event_order')
        changes = [e for e in clip.events if e.kind == 'color_change']
        starts = [e for e in clip.events if e.kind == 'start_moving']
        assert len(changes) == 1 and len(starts) == 1
        assert changes[0].objects != starts[0].objects
        mover = clip.objects[starts[0].objects[0]]
        t = starts[0].frame
        assert np.array_equal(mover.boxes[t], mover.boxes[0])  # still before the start
        assert not np.array_equal(mover.boxes[-1], mover.boxes[t])  # moving after it
        name = EVENT_ORDER_CLASSES[clip.labels['event_order']]
        first = 'color_change' if changes[0].frame < starts[0].frame else 'start_moving'
        assert name == f'{first}_first'
        assert TASKS['event_order'].classes == list(EVENT_ORDER_CLASSES)
        assert 'turns' in clip.caption and 'starts moving' in clip.caption
        seen.add(name)
    assert seen == set(EVENT_ORDER_CLASSES)


def test_mover_shape_label_is_the_moving_objects_shape(world):
    seen, counts = set(), set()
    for i in range(N):
        clip = world.sample(i, 'mover_shape')
        shapes = [o.shape for o in clip.objects]
        assert len(set(shapes)) == len(shapes) >= 2  # distinct shapes: one frame is ambiguous
        moving = [o for o in clip.objects if not np.array_equal(o.boxes[-1], o.boxes[0])]
        assert len(moving) == 1
        assert TASKS['mover_shape'].classes[clip.labels['mover_shape']] == moving[0].shape
        seen.add(moving[0].shape)
        counts.add(len(shapes))
    assert seen == set(SHAPES) and counts == {2, 3}


def test_free_clips_have_consistent_events(world):
    kinds = set()
    for i in range(N * 2):
        clip = world.sample(i)
        assert [e.frame for e in clip.events] == sorted(e.frame for e in clip.events)
        for e in clip.events:
            kinds.add(e.kind)
            assert e.kind in EVENT_KINDS
            o = clip.objects[e.objects[0]]
            if e.kind == 'appear':
                assert o.visible[e.frame] and not o.visible[e.frame - 1]
            elif e.kind == 'disappear':
                assert not o.visible[e.frame] and o.visible[e.frame - 1]
                assert np.isnan(o.boxes[e.frame]).all()
            elif e.kind == 'collision':
                a, b = (clip.objects[j].boxes[e.frame] for j in e.objects)
                assert a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
        for name, spec in TASKS.items():
            assert -1 <= clip.labels[name] < len(spec.classes)
    assert kinds == set(EVENT_KINDS)


def test_captions_describe_ground_truth(world):
    clip = world.sample(1, 'direction')
    label = DIRECTIONS[clip.labels['direction']]
    if label == 'static':
        assert 'still' in clip.caption
    else:
        mover = next(o for o in clip.objects if o.direction == label)
        assert f'{mover.colors[0]} {mover.shape} moves {label}' in clip.caption


def test_background_is_not_a_label_cue(world):
    # the background level is drawn independently of the label: per-class means overlap
    by_label = {}
    for i in range(90):
        clip = world.sample(i, 'direction')
        corner = clip.frames[:, :2, :2].reshape(-1, 3).mean()
        by_label.setdefault(clip.labels['direction'], []).append(corner)
    means = [np.mean(v) for v in by_label.values() if len(v) >= 5]
    assert max(means) - min(means) < 40


def test_config_validation():
    with pytest.raises(ValueError, match='num_frames'):
        WorldConfig(num_frames=4)
    with pytest.raises(KeyError, match='unknown task'):
        SyntheticWorld().sample(0, 'nope')
    with pytest.raises(ValueError, match='split'):
        SyntheticWorld(split='dev')


def test_a_new_task_is_one_registered_entry():
    from mmvideofm.datasets.synthetic import TaskSpec, register_task
    from mmvideofm.datasets.synthetic.tasks import count_layout

    def num_objects_label(clip):
        return len(clip.objects) - 1

    def layout(scene, rng):
        objs, _ = count_layout(scene, rng)
        return objs, len(objs) - 1

    spec = TaskSpec('num_objects', ['1', '2', '3'], 'How many objects are there?', layout,
                    num_objects_label, needs_time=False)
    register_task(spec)
    try:
        world = SyntheticWorld(WorldConfig(), seed=0)
        clip = world.sample(3, 'num_objects')
        assert clip.labels['num_objects'] == len(clip.objects) - 1 and spec.num_classes == 3
        assert set(clip.labels) == set(TASKS)
        with pytest.raises(KeyError, match='already registered'):
            register_task(spec)
    finally:
        del TASKS['num_objects']
    with pytest.raises(KeyError, match='unknown task'):
        world.sample(0, 'num_objects')
