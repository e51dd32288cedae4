"""VideoRandAugment: timm's RandAugment drawn once per clip and applied to every frame."""
import random

import numpy as np
import pytest
from PIL import Image

from mmvideofm.datasets.transforms import VideoRandAugment
from mmvideofm.registry import TRANSFORMS


def _clip(n=4, h=40, w=56, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    # distinct frames: the base image shifted, with a moving bright square
    frames = []
    for t in range(n):
        f = np.roll(base, 3 * t, axis=1).copy()
        f[5:15, 5 + 6 * t:15 + 6 * t] = 250
        frames.append(f)
    return frames


@pytest.mark.parametrize('seed', range(6))
def test_each_frame_gets_what_timm_does_to_it_alone(seed):
    """Same seeds: frame t of the augmented clip equals timm's policy applied to frame t by
    itself, i.e. ops, firing and magnitudes are one draw for the clip (official semantics)."""
    aug = VideoRandAugment('rand-m7-n4-mstd0.5-inc1', input_size=32)
    frames = _clip()
    np.random.seed(seed)
    random.seed(seed)
    out = aug.transform({'imgs': [f.copy() for f in frames]})['imgs']
    assert len(out) == len(frames)
    for frame, got in zip(frames, out):
        np.random.seed(seed)
        random.seed(seed)
        expected = np.asarray(aug.policy(Image.fromarray(frame)).convert('RGB'))
        assert got.dtype == np.uint8 and got.shape == frame.shape
        np.testing.assert_array_equal(got, expected)


def test_the_clip_is_augmented_consistently():
    """A static clip stays static (every frame the same op), and the policy does change
    the pixels for most draws."""
    aug = TRANSFORMS.build(dict(type='VideoRandAugment'))
    still = [_clip(1)[0]] * 3
    changed = 0
    for seed in range(10):
        np.random.seed(seed)
        random.seed(seed)
        out = aug.transform({'imgs': list(still)})['imgs']
        assert all(np.array_equal(out[0], o) for o in out[1:])
        changed += not np.array_equal(out[0], still[0])
    assert changed >= 7


def test_official_hyper_parameters():
    aug = VideoRandAugment()  # rand-m7-n4-mstd0.5-inc1 at 224 px, bicubic
    ops = aug.policy.ops
    assert aug.policy.num_layers == 4 and len(ops) == 15
    assert {op.name for op in ops} >= {'PosterizeIncreasing', 'TranslateXRel', 'SolarizeAdd'}
    assert all(op.magnitude == 7 and op.prob == 0.5 for op in ops)
    assert all(op.magnitude_std == 0.5 for op in ops)
    assert all(op.hparams['translate_const'] == 100 for op in ops)
    assert all(op.kwargs['resample'] == Image.BICUBIC for op in ops)
    assert all(op.kwargs['fillcolor'] == (128, 128, 128) for op in ops)


@pytest.mark.parametrize('kw,match', [(dict(auto_augment='v0'), 'rand-m7'),
                                      (dict(interpolation='area'), 'interpolation')])
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        VideoRandAugment(**kw)
