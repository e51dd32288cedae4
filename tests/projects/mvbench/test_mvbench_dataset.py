"""MVBenchDataset over the official layout: formats, bounds, frame folders, transforms,
missing / unreadable videos and malformed annotations."""
import json
import os.path as osp

import numpy as np
import pytest
import torch

from mmvideofm.datasets.video_io import write_frames, write_video
from projects.mvbench import CLIP_MEAN, CLIP_STD, MVBenchDataset, get_index, get_task
from projects.mvbench.dataset import load_task_json

N = 30  # frames per test video; frame i is solid grey level _level(i)


def _level(i):
    return 10 + 8 * i


def _frames(n=N, h=32, w=32):
    return np.stack([np.full((h, w, 3), _level(i), np.uint8) for i in range(n)])


def _item(video, **kw):
    return dict(video=video, question='What happens?', candidates=['one', 'two', 'three'],
                answer='two', **kw)


def _root(tmp_path, spec):
    """spec: task -> list of (item, writer or None)."""
    for task_name, entries in spec.items():
        task = get_task(task_name)
        folder = tmp_path / 'video' / task.video_folder
        folder.mkdir(parents=True, exist_ok=True)
        for item, writer in entries:
            if writer is not None:
                writer(str(folder / item['video']))
        (tmp_path / 'json').mkdir(exist_ok=True)
        (tmp_path / 'json' / task.json_file).write_text(json.dumps([e[0] for e in entries]))
    return str(tmp_path)


def _levels(imgs):
    return [float(f.mean()) for f in imgs]


@pytest.fixture(scope='module')
def media_root(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('mvb_media')
    frames = _frames()
    spec = {
        'Moving Direction': [
            (_item('a.mp4'), lambda p: write_video(p, frames, fps=8)),
            (_item('missing.mp4'), None),
            (_item('corrupt.mp4'), lambda p: open(p, 'wb').write(b'not a video at all')),
        ],
        'Action Antonym': [(_item('b.webm'), lambda p: write_video(p, frames, fps=12,
                                                                   codec='libvpx'))],
        'Fine-grained Pose': [(_item('c.avi'), lambda p: write_video(p, frames, fps=30,
                                                                     codec='mpeg4'))],
        'Action Sequence': [
            (_item('d.mp4', start=0.5, end=2.0), lambda p: write_video(p, frames, fps=8)),
            (_item('e.mp4', start=10.0, end=20.0), lambda p: write_video(p, frames, fps=8)),
        ],
        'Episodic Reasoning': [(_item('clip_er', start=2.0, end=8.0),
                                lambda p: write_frames(p, frames))],
    }
    return _root(tmp, spec)


def _dataset(root, **kw):
    pipeline = [dict(type='MVBenchLoadFrames'), dict(type='PackMVBenchInputs')]
    return MVBenchDataset(root, tasks=['MD', 'AA', 'FP', 'AS', 'ER'], pipeline=pipeline, **kw)


def test_missing_videos_reported_and_excluded(media_root):
    ds = _dataset(media_root)
    assert ds.metainfo['missing_videos']['Moving Direction'] == 1
    assert ds.metainfo['totals']['Moving Direction'] == 3
    assert 'Moving Direction: 1/3 videos missing (excluded)' in ds.missing_report()
    assert len(ds) == 7
    with pytest.raises(FileNotFoundError, match=r'moving_direction.json: item 1: video not'):
        _dataset(media_root, missing_video='error')


@pytest.mark.parametrize('qid,fps', [('moving_direction/0', 8), ('action_antonym/0', 12),
                                     ('fine_grained_pose/0', 30), ('action_sequence/0', 8)])
def test_video_formats_and_official_indices(media_root, qid, fps):
    ds = _dataset(media_root)
    idx = next(i for i in range(len(ds)) if ds.get_data_info(i)['qid'] == qid)
    info = ds.get_data_info(idx)
    out = ds[idx]
    inds = out['data_samples'].frame_inds
    assert inds == get_index(info['bound'], fps=float(fps), max_frame=N - 1, first_idx=0)
    tol = 0.01 if qid.endswith('0') and info['video'].endswith('.mp4') else 4.0
    got = _levels(out['inputs'].numpy())
    assert np.allclose(got, [_level(i) for i in inds], atol=tol), (got, inds)
    assert out['inputs'].shape == (16, 32, 32, 3)


def test_frame_folder_reader(media_root):
    ds = _dataset(media_root)
    idx = next(i for i in range(len(ds)) if ds.get_data_info(i)['task'] == 'Episodic Reasoning')
    out = ds[idx]
    inds = out['data_samples'].frame_inds
    # official: fps 3, max_frame = number of files, 1-based names
    assert inds == get_index((2.0, 8.0), fps=3, max_frame=N, first_idx=1)
    assert np.allclose(_levels(out['inputs'].numpy()), [_level(i - 1) for i in inds], atol=3)


def test_unreadable_videos_flagged(media_root):
    ds = _dataset(media_root)
    flagged = {}
    for i in range(len(ds)):
        out = ds[i]
        if out['inputs'] is None:
            flagged[out['data_samples'].qid] = out['data_samples'].video_error
    assert set(flagged) == {'moving_direction/2', 'action_sequence/1'}
    assert 'corrupt.mp4' in flagged['moving_direction/2']
    assert 'outside the video' in flagged['action_sequence/1']  # bound after the end


def test_official_transform(media_root):
    ds = MVBenchDataset(media_root, tasks=['MD'])
    x = ds[0]['inputs']
    assert x.shape == (16, 3, 224, 224) and x.dtype == torch.float32
    g = _level(ds[0]['data_samples'].frame_inds[0]) / 255
    expected = (g - torch.tensor(CLIP_MEAN)) / torch.tensor(CLIP_STD)
    assert torch.allclose(x[0, :, 100, 100], expected, atol=1e-5)


def test_short_side_resize_center_crop(tmp_path):
    frames = np.zeros((4, 48, 96, 3), np.uint8)
    frames[:, :, 48:] = 200  # right half bright
    root = _root(tmp_path, {'Moving Direction': [(_item('w.mp4'),
                                                   lambda p: write_video(p, frames))]})
    x = MVBenchDataset(root, tasks=['MD'])[0]['inputs']
    assert x.shape == (16, 3, 224, 224)
    row = x[0, 0, 112]  # 96x48 -> 448x224 (short side 224), crop keeps columns 112..335
    assert row[:100].max() < row[124:].min()  # the split is in the middle of the crop


def test_video_branch_layout(tmp_path):
    task = get_task('Episodic Reasoning')
    folder = tmp_path / 'video' / task.video_branch_folder
    folder.mkdir(parents=True)
    write_video(str(folder / 's.mp4'), _frames())
    (tmp_path / 'json').mkdir()
    (tmp_path / 'json' / task.json_file).write_text(json.dumps([_item('s.mp4')]))
    ds = MVBenchDataset(str(tmp_path), tasks=['ER'], layout='video_branch')
    info = ds.get_data_info(0)
    assert info['reader'] == 'video' and info['bound'] is None
    assert 'NOT the official protocol' in ds.metainfo['layout_label']


@pytest.mark.parametrize('content,match', [
    ('{"video": "x"}', r'expected a list'),
    ('[1, 2', r'not valid JSON'),
    (json.dumps([_item('a.mp4'), {'video': 'b.mp4', 'question': 'q', 'answer': 'x'}]),
     r"item 1: missing key 'candidates'"),
    (json.dumps([_item('a.mp4'), _item('b.mp4'), dict(_item('c.mp4'), candidates='abc')]),
     r'item 2: "candidates" must be a list'),
    (json.dumps([dict(_item('a.mp4'), answer='four')]), r"item 0: answer 'four' is not among"),
    (json.dumps([dict(_item('a.mp4'), answer='')]), r'item 0: "answer" must be a non-empty'),
])
def test_malformed_task_json(tmp_path, content, match):
    path = tmp_path / 'moving_direction.json'
    path.write_text(content)
    with pytest.raises(ValueError, match=match) as e:
        load_task_json(str(path), bound=False)
    assert str(path) in str(e.value)


def test_bound_task_needs_start_end(tmp_path):
    path = tmp_path / 'action_sequence.json'
    path.write_text(json.dumps([_item('a.mp4', start=1.0)]))
    with pytest.raises(ValueError, match=r"item 0: bound task needs a numeric 'end'"):
        load_task_json(str(path), bound=True)


def test_answer_not_among_candidates_warn_mode(tmp_path):
    root = _root(tmp_path, {'Moving Direction': [
        (dict(_item('a.mp4'), answer='four'), lambda p: write_video(p, _frames(8)))]})
    with pytest.warns(UserWarning, match=r"item 0: answer 'four' is not among"):
        ds = MVBenchDataset(root, tasks=['MD'], on_invalid='warn')
    info = ds.get_data_info(0)
    assert info['answer_string'] == '(@) four' and info['answer_letter'] == '@'


def test_missing_task_json(tmp_path):
    (tmp_path / 'json').mkdir()
    with pytest.raises(FileNotFoundError, match='action_count.json'):
        MVBenchDataset(str(tmp_path), tasks=['AC'])
    ds = MVBenchDataset(str(tmp_path), tasks=['AC'], skip_missing_tasks=True)
    assert len(ds) == 0 and ds.metainfo['missing_tasks'] == ['Action Count']
    assert osp.isdir(str(tmp_path / 'json'))
