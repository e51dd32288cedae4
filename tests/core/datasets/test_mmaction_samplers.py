"""mmvideofm's reader behind mmaction2's frame samplers, repeated augmentation and the
official (pixel-mode, one rectangle per clip) random erasing used by the fine-tune configs."""
import numpy as np
import pytest
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from mmvideofm.registry import DATASETS, TRANSFORMS


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvideofm')


def frame_ids(results):
    return [int(img[-1, -1, 0]) for img in results['imgs']]  # conftest writes the id there


@pytest.mark.parametrize('sampler, n', [
    (dict(type='UniformSample', clip_len=4, num_clips=1), 4),
    (dict(type='UniformSample', clip_len=4, num_clips=2, test_mode=True), 8),
    (dict(type='SampleFrames', clip_len=4, frame_interval=2, num_clips=1), 4),
    (dict(type='SampleFrames', clip_len=4, frame_interval=2, num_clips=3, test_mode=True), 12),
    # a clip longer than the video: SampleFrames loops, indices stay in range
    (dict(type='SampleFrames', clip_len=8, frame_interval=4, num_clips=2, test_mode=True), 16),
])
def test_reader_accepts_mmaction_samplers(mp4, sampler, n):
    r = Compose([dict(type='VideoInit'), sampler, dict(type='VideoDecode')])(
        dict(filename=mp4, start_index=0))
    assert r['clip_len'] == sampler['clip_len'] and r['num_clips'] == sampler['num_clips']
    assert len(r['imgs']) == n and list(r['frame_inds']) == frame_ids(r)


def _list_file(tmp_path, mp4, n=2):
    ann = tmp_path / 'list.txt'
    ann.write_text(''.join(f'{mp4.split("/")[-1]} {i}\n' for i in range(n)))
    return str(ann)


def test_repeat_aug_dataset_with_our_reader(tmp_path, mp4):
    ds = DATASETS.build(dict(
        type='VideoRepeatAugDataset', ann_file=_list_file(tmp_path, mp4),
        data_prefix=dict(video=str(tmp_path)), num_repeats=3, sample_once=True,
        pipeline=[dict(type='VideoInit'), dict(type='UniformSample', clip_len=4),
                  dict(type='VideoDecode'), dict(type='RandomResizedCrop'),
                  dict(type='Resize', scale=(16, 16), keep_ratio=False),
                  dict(type='FormatShape', input_format='NCTHW'),
                  dict(type='PackActionInputs')]))
    items = ds[1]
    assert len(items) == 3
    assert all(it['inputs'].shape == (1, 3, 4, 16, 16) for it in items)
    assert all(int(it['data_samples'].gt_label) == 1 for it in items)


def test_repeat_aug_dataset_names_a_bad_pipeline(tmp_path, mp4):
    with pytest.raises(ValueError, match='VideoInit, <frame sampler>, VideoDecode'):
        DATASETS.build(dict(type='VideoRepeatAugDataset', ann_file=_list_file(tmp_path, mp4),
                            pipeline=[dict(type='VideoInit'), dict(type='VideoDecode')]))


def test_official_random_erasing_is_one_rectangle_per_clip():
    """remode 'pixel' + cube (UMT / VideoMAE V2 datasets/random_erasing.py): one box for all
    frames, fresh N(0, 1) noise per frame in normalised space = N(mean, std) in pixels."""
    mean, std = (123.675, 116.28, 103.53), (58.395, 57.12, 57.375)
    erase = TRANSFORMS.build(dict(type='RandomErasing', erase_prob=1.0, mode='rand',
                                  fill_color=mean, fill_std=std))
    np.random.seed(0)
    imgs = [np.zeros((64, 64, 3), np.uint8) for _ in range(4)]
    out = erase(dict(imgs=imgs))['imgs']
    masks = [(img != 0).any(-1) for img in out]
    assert masks[0].any() and all((m == masks[0]).all() for m in masks[1:])
    assert not np.array_equal(out[0], out[1])  # noise drawn per frame
    box = np.stack([img[masks[0]] for img in out]).reshape(-1, 3).astype(float)
    np.testing.assert_allclose(box.mean(0), mean, atol=6)
    assert 40 < box.std(0).min() and box.std(0).max() < 60  # clipped to uint8
