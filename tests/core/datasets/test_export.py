import json
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmvideofm.datasets.synthetic import TASKS, SyntheticWorld, WorldConfig
from mmvideofm.datasets.synthetic.export import export_dataset, read_ground_truth
from mmvideofm.datasets.video_io import available_video_codecs, open_video
from mmvideofm.registry import DATASETS

CFG = WorldConfig(num_frames=8, size=24, max_objects=3)


def test_export_mp4_roundtrip(tmp_path):
    out = str(tmp_path / 'syn')
    meta = export_dataset(out, task='direction', num_train=6, num_val=3, num_test=2, config=CFG,
                          seed=3, progress=False)
    assert meta['classes'] == TASKS['direction'].classes
    with pytest.raises(FileNotFoundError, match='make_synthetic'):
        read_ground_truth(out, 'extra')
    assert open(osp.join(out, 'classes.txt')).read().split() == TASKS['direction'].classes
    lossless = available_video_codecs()[0] == 'libx264rgb'
    for split, n in dict(train=6, val=3, test=2).items():
        lines = open(osp.join(out, f'{split}.txt')).read().splitlines()
        assert len(lines) == n
        gt = read_ground_truth(out, split)
        assert gt['task'] == 'direction' and len(gt['clips']) == n
        world = SyntheticWorld(CFG, seed=3, split=split)
        for i, line in enumerate(lines):
            path, label = line.split()
            clip = world.sample(i, 'direction')
            assert int(label) == clip.labels['direction'] == gt['clips'][i]['label']
            assert gt['clips'][i]['path'] == path and gt['clips'][i]['caption'] == clip.caption
            assert len(gt['clips'][i]['objects']) == len(clip.objects)
            with open_video(osp.join(out, path)) as r:
                assert len(r) == 8 and r.fps == pytest.approx(CFG.fps)
                frames = r.get_frames(range(8))
            if lossless:
                np.testing.assert_array_equal(frames, clip.frames)
            else:
                assert np.abs(frames.astype(int) - clip.frames).max() <= 3


def test_export_frames_and_list_dataset(tmp_path):
    out = str(tmp_path / 'frames')
    export_dataset(out, task='count', num_train=3, num_val=0, num_test=0, config=CFG,
                   fmt='frames', frame_ext='png', progress=False)
    line = open(osp.join(out, 'train.txt')).readline().split()
    assert line[0] == 'train/000000' and line[1] == '8'  # mmaction2 rawframe list format
    assert osp.isfile(osp.join(out, 'train/000000/00001.png'))
    init_default_scope('mmvideofm')
    ds = DATASETS.build(dict(
        type='VideoListDataset', ann_file='train.txt', data_root=out, data_prefix=dict(video=''),
        pipeline=[dict(type='VideoInit'), dict(type='VideoSampleFrames', clip_len=8,
                                                test_mode=True),
                  dict(type='VideoDecode')]))
    world = SyntheticWorld(CFG, seed=0, split='train')
    for i in range(3):
        r = ds[i]
        clip = world.sample(i, 'count')
        assert r['label'] == clip.labels['count'] and r['total_frames'] == 8
        np.testing.assert_array_equal(np.stack(r['imgs']), clip.frames)  # png: lossless


def test_make_synthetic_cli_with_workers(tmp_path):
    from tools.data.make_synthetic import main
    out = str(tmp_path / 'cli')
    main(['--out', out, '--task', 'order', '--num-train', '70', '--num-val', '2',
          '--num-test', '0', '--frames', '8', '--size', '24', '--workers', '2',
          '--no-progress'])
    lines = open(osp.join(out, 'train.txt')).read().splitlines()
    assert len(lines) == 70 and lines[69].startswith('train/000069.mp4 ')
    assert not osp.exists(osp.join(out, 'test.txt'))
    meta = json.load(open(osp.join(out, 'meta.json')))
    assert meta['task'] == 'order' and meta['splits']['train'] == 70
