"""Masking generators: shapes, counts, determinism, official running-cell maps."""
from pathlib import Path

import pytest
import torch

import mmvideofm  # noqa: F401
from mmvideofm.models.layers import (
    random_masking,
    running_cell_mask_maps,
    running_cell_masking,
    semantic_masking,
    tube_masking,
)

DATA = Path(__file__).resolve().parents[2] / 'data'


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_random_masking_counts_and_determinism():
    m = random_masking(3, 50, 0.9, generator=_gen())
    assert m.dtype == torch.bool and m.shape == (3, 50)
    assert m.sum(1).tolist() == [45] * 3
    assert torch.equal(m, random_masking(3, 50, 0.9, generator=_gen()))
    assert not torch.equal(m, random_masking(3, 50, 0.9, generator=_gen(1)))


def test_random_masking_does_not_touch_global_rng():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    random_masking(2, 10, 0.5, generator=_gen())
    tube_masking(2, (2, 2, 2), 0.5, generator=_gen())
    running_cell_masking(2, (2, 2, 2), 0.5, generator=_gen())
    assert torch.equal(torch.rand(1), before)


def test_tube_masking_repeats_over_time():
    m = tube_masking(2, (4, 3, 5), 0.9, generator=_gen())
    assert m.shape == (2, 60)
    frames = m.reshape(2, 4, 15)
    assert torch.equal(frames, frames[:, :1].expand(-1, 4, -1))
    assert frames.sum(-1).eq(int(0.9 * 15)).all()
    assert not torch.equal(frames[0, 0], frames[1, 0])


def test_running_cell_maps_match_official():
    ref = torch.load(DATA / 'core' / 'vmae2_running_cell_all_mask_maps.pt', weights_only=True)
    maps = running_cell_mask_maps(tuple(ref['grid_thw'].tolist()), float(ref['mask_ratio']))
    assert torch.equal(maps, ref['running_cell_all_mask_maps'])


def test_running_cell_masking_picks_patterns():
    maps = running_cell_mask_maps((3, 4, 6), 0.5)
    m = running_cell_masking(8, (3, 4, 6), 0.5, generator=_gen())
    assert m.shape == (8, 72)
    flat = maps.reshape(4, -1)
    for row in m:
        assert any(torch.equal(row, f) for f in flat)
    assert m.reshape(8, 3, 24).sum(-1).eq(12).all()  # half of every frame
    with pytest.raises(ValueError, match='even'):
        running_cell_mask_maps((2, 3, 4), 0.5)
    with pytest.raises(ValueError, match='1..3'):
        running_cell_mask_maps((2, 4, 4), 0.2)


def test_semantic_masking_counts_and_preference():
    attn = torch.full((2, 3, 10), 1e-6)
    attn[..., :2] = 1.  # two dominant tokens per frame
    m = semantic_masking(attn, 0.8, generator=_gen())
    assert m.shape == (2, 30)
    frames = m.reshape(2, 3, 10)
    assert frames.logical_not().sum(-1).eq(10 - int(10 * 0.8)).all()
    assert not frames[..., :2].any()  # the attended tokens are kept
    flat = semantic_masking(attn.reshape(6, 10), 0.8, generator=_gen(), num_frames=3)
    assert torch.equal(flat, m)
    per_frame = semantic_masking(attn.reshape(6, 10), 0.8, generator=_gen())
    assert per_frame.shape == (6, 10)


def test_semantic_masking_is_random_by_generator():
    attn = torch.rand(2, 4, 25, generator=_gen(5))
    a = semantic_masking(attn, 0.5, generator=_gen(1))
    assert torch.equal(a, semantic_masking(attn, 0.5, generator=_gen(1)))
    assert not torch.equal(a, semantic_masking(attn, 0.5, generator=_gen(2)))


@pytest.mark.parametrize('bad', [1.0, -0.1, 1.5])
def test_mask_ratio_validation(bad):
    for fn in (lambda: random_masking(1, 4, bad), lambda: tube_masking(1, (1, 2, 2), bad),
               lambda: semantic_masking(torch.ones(1, 1, 4), bad)):
        with pytest.raises(ValueError, match=repr(bad)):
            fn()


def test_mask_transforms_registered_and_reproducible():
    import pickle

    from mmengine.registry import DefaultScope

    from mmvideofm.registry import TRANSFORMS
    with DefaultScope.overwrite_default_scope('mmvideofm'):
        tube = TRANSFORMS.build(dict(type='TubeMaskGenerator', input_size=(2, 4, 4),
                                     mask_ratio=0.75))
        cell = TRANSFORMS.build(dict(type='RunningCellMaskGenerator', input_size=(2, 4, 4)))
        rand = TRANSFORMS.build(dict(type='RandomTokenMaskGenerator', input_size=(2, 4, 4),
                                     mask_ratio=0.5, key='m'))
    torch.manual_seed(7)
    out = rand(cell(tube({})))
    assert out['mask'].shape == (32, ) and out['mask'].sum() == 24
    assert out['decoder_mask'].sum() == 16 and out['m'].sum() == 16
    # a fresh (or unpickled, i.e. worker) copy under the same torch seed repeats the stream
    clone = pickle.loads(pickle.dumps(tube))
    torch.manual_seed(7)
    assert torch.equal(clone({})['mask'], out['mask'])
    with pytest.raises(ValueError, match='1.0'):
        TRANSFORMS.get('TubeMaskGenerator')((2, 4, 4), 1.0)
