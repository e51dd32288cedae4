"""Point-cloud datasets: ModelNet40 / ScanObjectNN h5, ShapeNetPart txt, file lists.

Each yields ``dict(points, gt_label[, gt_part_label], sample_idx, source)`` into its
``pipeline``. h5 files are read in **sorted** order (the official ModelNet40 loader
globs unsorted; with the batch-global std the order changes the features).
"""
from __future__ import annotations

import glob
import json
import os

import numpy as np
from mmengine.dataset import BaseDataset

from mmvideofm.registry import DATASETS

__all__ = ['read_h5', 'ModelNet40H5Dataset', 'ScanObjectNNH5Dataset', 'ShapeNetPartDataset',
           'PointCloudFileDataset', 'SCANOBJECTNN_VARIANTS']

SCANOBJECTNN_VARIANTS = {
    'obj_bg': ('main_split', '{split}_objectdataset.h5'),  # official --split 1
    'obj_only': ('main_split_nobg', '{split}_objectdataset.h5'),  # --split 2
    'pb_t50_rs': ('main_split', '{split}_objectdataset_augmentedrot_scale75.h5'),  # --split 3
}


def read_h5(path: str, data_key: str = 'data', label_key: str = 'label'
            ) -> tuple[np.ndarray, np.ndarray]:
    """Read ``data`` (M, N, 3) float32 and ``label`` (M,) int64; errors list the keys found."""
    import h5py
    if os.path.getsize(path) == 0:
        raise ValueError(f'{path}: empty file')
    with h5py.File(path, 'r') as f:
        missing = [k for k in (data_key, label_key) if k not in f]
        if missing:
            raise KeyError(f'{path}: missing h5 key(s) {missing}; keys found: {sorted(f.keys())}')
        data = f[data_key][:].astype(np.float32)
        label = f[label_key][:].astype(np.int64).reshape(-1)
    if data.ndim != 3 or data.shape[-1] < 3 or len(data) != len(label):
        raise ValueError(f'{path}: expected {data_key} (M, N, 3) and {label_key} (M,), got '
                         f'{data.shape} and {label.shape}')
    return data, label


class _ArrayDataset(BaseDataset):
    """Clouds held in memory as one array (no per-sample pickling)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault('serialize_data', False)
        super().__init__(*args, **kwargs)

    def _records(self, data: np.ndarray, labels: np.ndarray, sources: list[str]) -> list[dict]:
        return [dict(points=data[i], gt_label=int(labels[i]), sample_idx=i, source=sources[i])
                for i in range(len(data))]


@DATASETS.register_module()
class ModelNet40H5Dataset(_ArrayDataset):
    """``modelnet40_ply_hdf5_2048``: ``ply_data_{split}*.h5`` under ``data_root``."""

    def __init__(self, data_root: str, split: str = 'train', **kwargs) -> None:
        if split not in ('train', 'test'):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        self.split = split
        super().__init__(data_root=data_root, **kwargs)

    def load_data_list(self) -> list[dict]:
        files = sorted(glob.glob(os.path.join(self.data_root, f'ply_data_{self.split}*.h5')))
        if not files:
            raise FileNotFoundError(f'no ply_data_{self.split}*.h5 under {self.data_root}')
        data, labels, sources = [], [], []
        for path in files:
            d, lab = read_h5(path)
            data.append(d)
            labels.append(lab)
            sources += [f'{os.path.basename(path)}[{i}]' for i in range(len(d))]
        return self._records(np.concatenate(data), np.concatenate(labels), sources)


@DATASETS.register_module()
class ScanObjectNNH5Dataset(_ArrayDataset):
    """ScanObjectNN ``h5_files``: ``variant`` in ``obj_bg`` / ``obj_only`` / ``pb_t50_rs``
    (official ``--split`` 1 / 2 / 3; 15 classes), ``split`` in ``training`` / ``test``."""

    def __init__(self, data_root: str, variant: str = 'pb_t50_rs', split: str = 'training',
                 **kwargs) -> None:
        if variant not in SCANOBJECTNN_VARIANTS:
            raise ValueError(f'variant must be one of {sorted(SCANOBJECTNN_VARIANTS)}, '
                             f'got {variant!r}')
        if split not in ('training', 'test'):
            raise ValueError(f"split must be 'training' or 'test', got {split!r}")
        self.variant, self.split = variant, split
        super().__init__(data_root=data_root, **kwargs)

    def load_data_list(self) -> list[dict]:
        folder, pattern = SCANOBJECTNN_VARIANTS[self.variant]
        path = os.path.join(self.data_root, folder, pattern.format(split=self.split))
        if not os.path.isfile(path):
            raise FileNotFoundError(f'ScanObjectNN file not found: {path}')
        data, labels = read_h5(path)
        name = os.path.basename(path)
        return self._records(data, labels, [f'{name}[{i}]' for i in range(len(data))])


@DATASETS.register_module()
class ShapeNetPartDataset(BaseDataset):
    """ShapeNetPart (``shapenetcore_partanno_segmentation_benchmark_v0_normal``).

    Reads ``synsetoffset2category.txt`` and ``train_test_split/shuffled_*_file_list.json``;
    each sample is ``<synset>/<token>.txt`` loaded by ``LoadPointsFromFile``.
    ``split``: ``trainval`` / ``train`` / ``val`` / ``test``.
    """

    def __init__(self, data_root: str, split: str = 'trainval', **kwargs) -> None:
        if split not in ('trainval', 'train', 'val', 'test'):
            raise ValueError(f'unknown split {split!r}')
        self.split = split
        super().__init__(data_root=data_root, **kwargs)

    def load_data_list(self) -> list[dict]:
        root = self.data_root
        cat_file = os.path.join(root, 'synsetoffset2category.txt')
        if not os.path.isfile(cat_file):
            raise FileNotFoundError(f'{cat_file} not found (is data_root a ShapeNetPart folder?)')
        with open(cat_file) as f:
            cats = [line.split() for line in f if line.strip()]
        ids = set()
        for part in (('train', 'val') if self.split == 'trainval' else (self.split,)):
            with open(os.path.join(root, 'train_test_split', f'shuffled_{part}_file_list.json')) as f:
                ids |= {d.split('/')[2] for d in json.load(f)}
        data_list = []
        for label, (_, synset) in enumerate(cats):
            folder = os.path.join(root, synset)
            for fn in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
                if fn[:-4] in ids:
                    data_list.append(dict(pts_path=os.path.join(folder, fn), gt_label=label,
                                          category=synset))
        for i, d in enumerate(data_list):
            d['sample_idx'] = i
        return data_list


@DATASETS.register_module()
class PointCloudFileDataset(BaseDataset):
    """Clouds listed in ``ann_file``: one ``<relative path> [label]`` per line
    (.npy / .bin / .ply / .pcd / .txt, loaded by ``LoadPointsFromFile``)."""

    def load_data_list(self) -> list[dict]:
        data_list = []
        with open(self.ann_file) as f:
            for i, line in enumerate(x for x in f if x.strip()):
                parts = line.split()
                item = dict(pts_path=os.path.join(self.data_root, parts[0]), sample_idx=i)
                if len(parts) > 1:
                    item['gt_label'] = int(parts[1])
                data_list.append(item)
        return data_list


@DATASETS.register_module()
class SyntheticPrimitivesDataset(_ArrayDataset):
    """Seeded synthetic 3D primitives generated in memory (no files).

    Yields ``points``, ``gt_label`` and ``gt_part_label`` (global part ids; clutter
    points -1). Keyword ``primitive_cfg`` overrides ``PrimitiveConfig`` fields
    (``num_points``, ``noise``, ``partial_prob``, ``clutter_prob``, ``rotate``, ...).
    """

    def __init__(self, num_per_class: int = 40, seed: int = 0, classes: list | None = None,
                 primitive_cfg: dict | None = None, **kwargs) -> None:
        self.num_per_class, self.seed = num_per_class, seed
        self.classes = tuple(classes) if classes else None
        self.primitive_cfg = dict(primitive_cfg or {})
        super().__init__(**kwargs)

    def load_data_list(self) -> list[dict]:
        from mmvideofm.datasets.synthetic.primitives3d import PRIMITIVES, make_primitives_dataset
        d = make_primitives_dataset(self.num_per_class, self.seed, self.classes or PRIMITIVES,
                                    **self.primitive_cfg)
        self._metainfo.update(classes=d['classes'], part_offsets=d['part_offsets'])
        recs = self._records(d['points'], d['labels'],
                             [f'primitive[{i}]' for i in range(len(d['points']))])
        for rec, parts in zip(recs, d['parts']):
            rec['gt_part_label'] = parts
        return recs
