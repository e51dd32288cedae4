"""Datasets, file loaders, transforms, synthetic primitives, visualisation, bad inputs."""
import os

import h5py
import numpy as np
import pytest
import torch

from mmvideofm.datasets.synthetic.primitives3d import (
    PRIMITIVES,
    export_modelnet40_h5,
    export_shapenetpart,
    make_primitives_dataset,
)
from mmvideofm.registry import DATASETS, TRANSFORMS
from projects.point_nn.datasets import read_h5
from projects.point_nn.transforms import load_points
from projects.point_nn.visualization import render_point_cloud


def test_primitives_seeded_and_labelled():
    a = make_primitives_dataset(2, seed=3, num_points=128, partial_prob=0.5, clutter_prob=1.0)
    b = make_primitives_dataset(2, seed=3, num_points=128, partial_prob=0.5, clutter_prob=1.0)
    assert np.array_equal(a['points'], b['points'])
    assert a['points'].shape == (16, 128, 3) and a['points'].dtype == np.float32
    assert sorted(set(a['labels'].tolist())) == list(range(len(PRIMITIVES)))
    assert (a['parts'] == -1).any()  # clutter points
    assert np.abs(a['points']).max() < 1.2


def test_modelnet40_h5_export_and_dataset(tmp_path):
    export_modelnet40_h5(str(tmp_path), train_per_class=2, test_per_class=1, num_points=64)
    # a second train file: read in sorted order
    d, lab = read_h5(str(tmp_path / 'ply_data_train0.h5'))
    with h5py.File(tmp_path / 'ply_data_train1.h5', 'w') as f:
        f['data'], f['label'] = d[:3] + 5, lab[:3, None].astype(np.uint8)
    ds = DATASETS.build(dict(type='ModelNet40H5Dataset', data_root=str(tmp_path), split='train',
                             pipeline=[dict(type='PackPointCloudInputs')]))
    assert len(ds) == 16 + 3
    assert ds[16]['inputs'].min() > 3  # train1 after train0
    assert int(ds[0]['data_samples'].gt_label) == 0
    test = DATASETS.build(dict(type='ModelNet40H5Dataset', data_root=str(tmp_path), split='test'))
    assert len(test) == 8


def test_h5_bad_inputs(tmp_path):
    p = tmp_path / 'bad.h5'
    with h5py.File(p, 'w') as f:
        f['points'] = np.zeros((2, 8, 3), np.float32)
        f['labels'] = np.zeros(2)
    with pytest.raises(KeyError, match=r"keys found: \['labels', 'points'\]"):
        read_h5(str(p))
    (tmp_path / 'empty.h5').write_bytes(b'')
    with pytest.raises(ValueError, match='empty file'):
        read_h5(str(tmp_path / 'empty.h5'))
    with pytest.raises(FileNotFoundError, match='ply_data_train'):
        DATASETS.build(dict(type='ModelNet40H5Dataset', data_root=str(tmp_path / 'none')))


def test_scanobjectnn_variants(tmp_path):
    for folder, name in [('main_split', 'test_objectdataset_augmentedrot_scale75.h5'),
                         ('main_split_nobg', 'test_objectdataset.h5')]:
        os.makedirs(tmp_path / folder, exist_ok=True)
        with h5py.File(tmp_path / folder / name, 'w') as f:
            f['data'] = np.random.rand(3, 32, 3).astype(np.float32)
            f['label'] = np.arange(3)
    ds = DATASETS.build(dict(type='ScanObjectNNH5Dataset', data_root=str(tmp_path),
                             variant='pb_t50_rs', split='test'))
    assert len(ds) == 3 and ds.get_data_info(2)['gt_label'] == 2
    assert len(DATASETS.build(dict(type='ScanObjectNNH5Dataset', data_root=str(tmp_path),
                                   variant='obj_only', split='test'))) == 3
    with pytest.raises(FileNotFoundError, match='objectdataset.h5'):
        DATASETS.build(dict(type='ScanObjectNNH5Dataset', data_root=str(tmp_path),
                            variant='obj_bg', split='test'))


def test_shapenetpart_export_and_dataset(tmp_path):
    info = export_shapenetpart(str(tmp_path), train_per_class=2, test_per_class=1,
                               num_points=100)
    assert info['num_parts'] == 10
    pipeline = [dict(type='LoadPointsFromFile'),
                dict(type='PointSample', num_points=128, mode='random', on_fewer='resample'),
                dict(type='PackPointCloudInputs')]
    ds = DATASETS.build(dict(type='ShapeNetPartDataset', data_root=str(tmp_path), split='trainval',
                             pipeline=pipeline))
    assert len(ds) == 8
    item = ds[0]
    assert item['inputs'].shape == (128, 3)  # 100 points resampled with replacement
    assert item['data_samples'].gt_part_label.shape == (128,)
    assert len(DATASETS.build(dict(type='ShapeNetPartDataset', data_root=str(tmp_path),
                                   split='test'))) == 4


def test_point_files(tmp_path):
    pts = np.random.rand(50, 3).astype(np.float32)
    np.save(tmp_path / 'a.npy', pts)
    np.concatenate([pts, np.ones((50, 1), np.float32)], 1).tofile(tmp_path / 'a.bin')
    try:  # open3d needs the system library libusb-1.0 (make setup installs it)
        import open3d as o3d
    except ImportError:
        o3d = None
    exts = ['npy', 'bin']
    if o3d is not None:
        pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts.astype(np.float64)))
        for ext in ('ply', 'pcd'):
            o3d.io.write_point_cloud(str(tmp_path / f'a.{ext}'), pcd)
        exts += ['ply', 'pcd']
    for ext in exts:
        out = load_points(str(tmp_path / f'a.{ext}'))['points']
        assert np.allclose(out, pts, atol=1e-6), ext
    (tmp_path / 'list.txt').write_text('a.npy 3\na.bin 1\n')
    ds = DATASETS.build(dict(type='PointCloudFileDataset', data_root=str(tmp_path),
                             ann_file=str(tmp_path / 'list.txt'),
                             pipeline=[dict(type='LoadPointsFromFile'),
                                       dict(type='PackPointCloudInputs')]))
    assert int(ds[0]['data_samples'].gt_label) == 3 and ds[1]['inputs'].shape == (50, 3)
    (tmp_path / 'empty.ply').write_bytes(b'')
    with pytest.raises(ValueError, match='empty file'):
        load_points(str(tmp_path / 'empty.ply'))
    (tmp_path / 'x.bin').write_bytes(np.zeros(5, np.float32).tobytes())
    with pytest.raises(ValueError, match='multiple of load_dim'):
        load_points(str(tmp_path / 'x.bin'))
    bad = pts.copy()
    bad[7, 1] = np.nan
    np.save(tmp_path / 'nan.npy', bad)
    with pytest.raises(ValueError, match=r'nan\.npy: 1 point\(s\) with NaN/inf.*row 7'):
        load_points(str(tmp_path / 'nan.npy'))
    with pytest.raises(ValueError, match='unsupported'):
        (tmp_path / 'a.xyz').write_text('1 2 3')
        load_points(str(tmp_path / 'a.xyz'))


def test_transforms():
    np.random.seed(0)
    pts = np.random.rand(40, 3).astype(np.float32) * 3 + 1
    res = dict(points=pts, source='cloud#7')
    out = TRANSFORMS.build(dict(type='PointSample', num_points=16, mode='first'))(dict(res))
    assert np.array_equal(out['points'], pts[:16])
    out = TRANSFORMS.build(dict(type='PointSample', num_points=16, mode='fps'))(dict(res))
    assert out['points'].shape == (16, 3) and np.array_equal(out['points'][0], pts[0])
    out = TRANSFORMS.build(dict(type='PointSample', num_points=64))(dict(res))
    assert out['points'].shape == (64, 3) and np.array_equal(out['points'][:40], pts)
    with pytest.raises(ValueError, match='cloud#7: 40 points, fewer than the 64'):
        TRANSFORMS.build(dict(type='PointSample', num_points=64, on_fewer='error'))(dict(res))
    out = TRANSFORMS.build(dict(type='PointSample', num_points=30, mode='random',
                                replace=True))(dict(res))
    assert out['points'].shape == (30, 3)
    out = TRANSFORMS.build(dict(type='AddPointHeight', gravity_dim=1))(dict(res))
    assert out['points'].shape == (40, 4) and out['points'][:, 3].min() == 0
    out = TRANSFORMS.build(dict(type='NormalizePointsToUnitSphere'))(out)
    assert np.isclose(np.linalg.norm(out['points'][:, :3], axis=1).max(), 1.0)
    assert np.allclose(out['points'][:, :3].mean(0), 0, atol=1e-5)
    assert out['points'][:, 3].max() > 1  # the height channel is left alone
    for t in (dict(type='RandomScaleTranslatePoints'), dict(type='RandomRotatePoints'),
              dict(type='ShufflePoints')):
        assert TRANSFORMS.build(t)(dict(res))['points'].shape == (40, 3)
    bad = dict(points=np.full((4, 3), np.inf, np.float32), source='cloud#9')
    with pytest.raises(ValueError, match='cloud#9: 4 point'):
        TRANSFORMS.build(dict(type='PackPointCloudInputs'))(bad)
    with pytest.raises(ValueError, match='empty point cloud'):
        TRANSFORMS.build(dict(type='PackPointCloudInputs'))(dict(points=np.zeros((0, 3))))


def test_render_png(tmp_path):
    d = make_primitives_dataset(1, seed=0, num_points=200, classes=('cylinder',))
    out = render_point_cloud(d['points'][0], str(tmp_path / 'seg.png'), labels=d['parts'][0],
                             title='cylinder parts')
    assert os.path.getsize(out) > 1000
    from PIL import Image
    assert Image.open(out).size[0] > 100
    render_point_cloud(torch.rand(30, 3).numpy(), str(tmp_path / 'plain.png'))
    with pytest.raises(ValueError):
        render_point_cloud(np.zeros((0, 3)), str(tmp_path / 'x.png'))
