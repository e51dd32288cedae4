"""The official frame sampling (get_frame_indices): segment middles, random per segment,
short videos padded with the last index."""
import numpy as np
import pytest

from projects.viclip.transforms import ViCLIPSegmentSample, segment_indices


def test_middle_matches_the_official_formula():
    # 100 frames, 8 segments at linspace(0, 100, 9).astype(int) = 0, 12, 25, 37, 50, ...
    assert segment_indices(8, 100).tolist() == [5, 18, 30, 43, 55, 68, 80, 93]
    assert segment_indices(8, 8).tolist() == list(range(8))
    assert segment_indices(8, 3).tolist() == [0, 1, 2, 2, 2, 2, 2, 2]  # padded, last index


def test_rand_stays_in_its_segment_and_never_draws_the_last_frame():
    rng = np.random.RandomState(0)
    edges = np.linspace(0, 100, 9).astype(int)
    for _ in range(50):
        inds = segment_indices(8, 100, 'rand', rng)
        assert ((inds >= edges[:-1]) & (inds < edges[1:] - 1)).all()
    # one-frame segments: sorted distinct random frames instead (official fallback)
    inds = segment_indices(8, 12, 'rand', rng)
    assert len(set(inds.tolist())) == 8 and (np.diff(inds) > 0).all()


def test_transform_sets_mmaction_keys():
    out = ViCLIPSegmentSample(8)(dict(total_frames=40, start_index=1))
    assert out['frame_inds'].tolist() == [3, 8, 13, 18, 23, 28, 33, 38]
    assert (out['clip_len'], out['num_clips']) == (8, 1)
    with pytest.raises(ValueError, match='middle'):
        ViCLIPSegmentSample(8, sample='uniform')
