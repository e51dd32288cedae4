"""Target transforms on the synthetic world's ground truth, and the one-frame transform."""
import numpy as np
import pytest
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from mmvideofm.datasets import SyntheticVideoDataset
from mmvideofm.datasets.synthetic import COLORS, SHAPES, ObjectTrack
from mmvideofm.registry import TRANSFORMS


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvideofm')


def _track(shape, color, boxes, visible=None):
    boxes = np.asarray(boxes, dtype=float)
    return ObjectTrack(id=0, shape=shape, size=8, colors=[color] * len(boxes), boxes=boxes,
                       visible=np.ones(len(boxes), bool) if visible is None else
                       np.asarray(visible), direction='static')


def _known_clip():
    """Two frames of 32 px: a triangle moving right over a static red square (drawn last)."""
    tri = _track('triangle', 'blue', [[0, 0, 8, 8], [9, 0, 17, 8]])
    sq = _track('square', 'red', [[16, 16, 28, 28], [16, 16, 28, 28]], visible=[True, False])
    return dict(gt_objects=[tri, sq], frame_inds=np.array([0, 1]), img_shape=(32, 32),
                original_shape=(32, 32))


def test_shape_targets_mark_each_centre_patch():
    out = TRANSFORMS.build(dict(type='SyntheticPatchShapeTargets', patch_size=8))(_known_clip())
    t = out['gt_patch_labels']
    assert t.shape == (2, 16) and t.dtype == np.int64
    tri, sq = 1 + SHAPES.index('triangle'), 1 + SHAPES.index('square')
    frame0, frame1 = t.reshape(2, 4, 4)
    # frame 0: triangle centre (4, 4) -> cell (0, 0); square centre (22, 22) -> cell (2, 2)
    assert frame0[0, 0] == tri and frame0[2, 2] == sq and (frame0 > 0).sum() == 2
    # frame 1: triangle centre (13, 4) -> cell (0, 1); the square is hidden
    assert frame1[0, 1] == tri and (frame1 > 0).sum() == 1


def test_color_targets_cover_the_box():
    out = TRANSFORMS.build(dict(type='SyntheticPatchColorTargets', patch_size=4))(_known_clip())
    grid = out['gt_patch_labels'].reshape(2, 8, 8)
    blue, red = 1 + list(COLORS).index('blue'), 1 + list(COLORS).index('red')
    # patch centres 2, 6, ... : the 12 px square at 16..28 covers centres 18, 22, 26 (3 x 3)
    assert (grid[0] == red).sum() == 9 and (grid[0, 4:7, 4:7] == red).all()
    assert (grid[0, :2, :2] == blue).all() and (grid[0] == blue).sum() == 4
    assert (grid[1] == red).sum() == 0 and (grid[1, :2, 3:4] == blue).all()


def test_targets_follow_the_sampled_frames_of_a_dataset_clip():
    """Through SyntheticVideoDataset: every sampled frame marks the centre patch of each
    visible object with its shape (mover_shape: 2 objects of different shapes)."""
    world_cfg = dict(max_objects=2, motion=(0.6, 0.8), noise=0, object_size=(0.28, 0.36))
    pipeline = [dict(type='VideoInit'),
                dict(type='VideoSampleFrames', clip_len=4, frame_interval=2, num_clips=1,
                     test_mode=True),
                dict(type='VideoDecode'),
                dict(type='SyntheticPatchShapeTargets', patch_size=8)]
    ds = SyntheticVideoDataset(num_samples=3, task='mover_shape', num_frames=8, size=32,
                               world_cfg=world_cfg, pipeline=pipeline)
    for i in range(3):
        clip, out = ds.get_clip(i), ds[i]
        assert list(out['frame_inds']) == [0, 2, 4, 6]
        assert [o.to_json() for o in out['gt_objects']] == [o.to_json() for o in clip.objects]
        for j, t in enumerate((0, 2, 4, 6)):
            want = np.zeros((4, 4), np.int64)
            for obj in clip.objects:
                x0, y0, x1, y1 = obj.boxes[t]
                want[int((y0 + y1) / 2 // 8), int((x0 + x1) / 2 // 8)] = 1 + SHAPES.index(
                    obj.shape)
            np.testing.assert_array_equal(out['gt_patch_labels'][j].reshape(4, 4), want)
        # both objects marked (they may share a cell where they meet)
        assert (out['gt_patch_labels'] > 0).sum(1).max() == 2


def test_targets_refuse_resized_frames_and_other_datasets():
    t = TRANSFORMS.build(dict(type='SyntheticPatchShapeTargets', patch_size=8))
    with pytest.raises(ValueError, match='before any resize'):
        t(dict(_known_clip(), img_shape=(16, 16)))
    with pytest.raises(KeyError, match='SyntheticVideoDataset'):
        t(dict(frame_inds=np.arange(2), img_shape=(32, 32)))
    with pytest.raises(ValueError, match='multiple of patch_size'):
        TRANSFORMS.build(dict(type='SyntheticPatchShapeTargets', patch_size=5))(_known_clip())


def test_repeat_frame_is_the_one_frame_baseline():
    frames = [np.full((2, 2, 3), i, np.uint8) for i in range(4)]
    out = Compose([dict(type='RepeatFrame')])(dict(imgs=list(frames),
                                                   frame_inds=np.array([0, 2, 4, 6])))
    assert [int(f[0, 0, 0]) for f in out['imgs']] == [2, 2, 2, 2]
    assert list(out['frame_inds']) == [4, 4, 4, 4]
    out = TRANSFORMS.build(dict(type='RepeatFrame', index=0))(dict(imgs=list(frames)))
    assert [int(f[0, 0, 0]) for f in out['imgs']] == [0, 0, 0, 0]
    with pytest.raises(IndexError):
        TRANSFORMS.build(dict(type='RepeatFrame', index=4))(dict(imgs=list(frames)))
    with pytest.raises(KeyError, match='after VideoDecode'):
        TRANSFORMS.build(dict(type='RepeatFrame'))(dict(frame_inds=np.arange(4)))


def test_cached_clips_are_the_generated_ones_and_stay_intact():
    kw = dict(num_samples=3, task='direction', num_frames=8, size=32)
    plain, cached = SyntheticVideoDataset(**kw), SyntheticVideoDataset(cache_clips=True, **kw)
    for i in range(3):
        a, b = plain[i], cached[i]
        np.testing.assert_array_equal(np.stack(a['imgs']), np.stack(b['imgs']))
        b['imgs'][0][...] = 0  # a pipeline writing into its frames
        np.testing.assert_array_equal(np.stack(cached[i]['imgs']), np.stack(a['imgs']))
    assert len(cached._cache) == 3
