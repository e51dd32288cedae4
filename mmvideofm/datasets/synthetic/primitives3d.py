"""Synthetic 3D primitives: seeded point clouds of geometric shapes with part labels.

Surface samples of sphere, cube, cylinder, cone, torus, pyramid, capsule and
octahedron (area-weighted), with random anisotropic scale, rotation, Gaussian
noise, partial views (a half-space cut) and clutter (uniform outliers). Every
shape has part labels (caps vs sides, ...), so the same generator feeds
classification and part segmentation. Exporters write the real on-disk formats:
ModelNet40 ``ply_data_{train,test}0.h5`` and the ShapeNetPart txt + split JSONs.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ['PRIMITIVES', 'PRIMITIVE_PARTS', 'PrimitiveConfig', 'sample_primitive',
           'make_primitives_dataset', 'export_modelnet40_h5', 'export_shapenetpart']

PRIMITIVES = ('sphere', 'cube', 'cylinder', 'cone', 'torus', 'pyramid', 'capsule', 'octahedron')
#: local part names per primitive; global part ids are assigned in this order
PRIMITIVE_PARTS = {
    'sphere': ('upper', 'lower'), 'cube': ('caps', 'sides'),
    'cylinder': ('side', 'top', 'bottom'), 'cone': ('side', 'base'),
    'torus': ('outer', 'inner'), 'pyramid': ('faces', 'base'),
    'capsule': ('body', 'top', 'bottom'), 'octahedron': ('upper', 'lower'),
}


@dataclass
class PrimitiveConfig:
    """Corruptions applied after sampling (all off means clean, centred shapes)."""

    num_points: int = 1024
    noise: float = 0.01  # Gaussian jitter (after normalisation to the unit sphere)
    scale_jitter: float = 0.2  # per-axis scale in [1 - s, 1 + s]
    rotate: str = 'z'  # 'z' (upright, like ModelNet40), 'so3' or 'none'
    partial_prob: float = 0.0  # probability of a partial view (half-space cut)
    partial_keep: tuple = (0.5, 0.8)  # kept fraction of a partial view
    clutter_prob: float = 0.0  # probability of adding uniform outliers
    clutter_ratio: float = 0.1  # fraction of points replaced by outliers


def _tri(a, b, c, n, rng):
    u, v = rng.random(n), rng.random(n)
    su = np.sqrt(u)
    return (1 - su)[:, None] * a + (su * (1 - v))[:, None] * b + (su * v)[:, None] * c


def _mesh(verts, faces, parts, n, rng):
    verts = np.asarray(verts, float)
    area = np.array([np.linalg.norm(np.cross(verts[b] - verts[a], verts[c] - verts[a]))
                     for a, b, c in faces])
    face = rng.choice(len(faces), n, p=area / area.sum())
    pts = np.empty((n, 3))
    for f in np.unique(face):
        m = face == f
        a, b, c = faces[f]
        pts[m] = _tri(verts[a], verts[b], verts[c], m.sum(), rng)
    return pts, np.asarray(parts)[face]


def _unit(n, rng):
    v = rng.normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _surface(name, n, rng):
    """Clean surface samples (n, 3) and local part ids (n,)."""
    if name == 'sphere':
        p = _unit(n, rng)
        return p, (p[:, 2] < 0).astype(int)
    if name == 'cube':
        face = rng.integers(0, 6, n)
        p = rng.uniform(-1, 1, (n, 3))
        axis, sign = face // 2, np.where(face % 2, 1.0, -1.0)
        p[np.arange(n), axis] = sign
        return p, (axis != 2).astype(int)
    if name in ('cylinder', 'capsule'):
        h = 1.0
        side_area = 2 * np.pi * h * 2
        cap_area = np.pi if name == 'cylinder' else 2 * np.pi
        part = rng.choice(3, n, p=np.array([side_area, cap_area, cap_area]) / (side_area + 2 * cap_area))
        t = rng.uniform(0, 2 * np.pi, n)
        p = np.stack([np.cos(t), np.sin(t), rng.uniform(-h, h, n)], 1)
        caps = part > 0
        sgn = np.where(part == 1, 1.0, -1.0)
        if name == 'cylinder':
            r = np.sqrt(rng.random(n))
            p[caps] = np.stack([r * np.cos(t), r * np.sin(t), sgn * h], 1)[caps]
        else:
            d = _unit(n, rng)
            d[:, 2] = np.abs(d[:, 2]) * sgn
            p[caps] = (d + np.array([0, 0, 1.0]) * (sgn * h)[:, None])[caps]
        return p, part
    if name == 'cone':
        h, r = 2.0, 1.0
        side, base = np.pi * r * np.hypot(r, h), np.pi * r * r
        part = (rng.random(n) < base / (side + base)).astype(int)
        t = rng.uniform(0, 2 * np.pi, n)
        s = np.sqrt(rng.random(n))
        p = np.stack([s * r * np.cos(t), s * r * np.sin(t), h / 2 - s * h], 1)
        p[part == 1, 2] = -h / 2
        return p, part
    if name == 'torus':
        R, r = 1.0, 0.35
        u = rng.uniform(0, 2 * np.pi, 4 * n)
        v = rng.uniform(0, 2 * np.pi, 4 * n)
        keep = rng.random(4 * n) < (R + r * np.cos(v)) / (R + r)
        u, v = u[keep][:n], v[keep][:n]
        p = np.stack([(R + r * np.cos(v)) * np.cos(u), (R + r * np.cos(v)) * np.sin(u),
                      r * np.sin(v)], 1)
        return p, (np.cos(v) < 0).astype(int)
    if name == 'pyramid':
        verts = [(-1, -1, -0.7), (1, -1, -0.7), (1, 1, -0.7), (-1, 1, -0.7), (0, 0, 1.1)]
        faces = [(0, 1, 4), (1, 2, 4), (2, 3, 4), (3, 0, 4), (0, 1, 2), (0, 2, 3)]
        return _mesh(verts, faces, [0, 0, 0, 0, 1, 1], n, rng)
    if name == 'octahedron':
        verts = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1.2), (0, 0, -1.2)]
        faces = [(0, 2, 4), (2, 1, 4), (1, 3, 4), (3, 0, 4),
                 (0, 2, 5), (2, 1, 5), (1, 3, 5), (3, 0, 5)]
        return _mesh(verts, faces, [0, 0, 0, 0, 1, 1, 1, 1], n, rng)
    raise ValueError(f'unknown primitive {name!r}; choose from {PRIMITIVES}')


def _rotation(mode, rng):
    if mode == 'none':
        return np.eye(3)
    if mode == 'z':
        a = rng.uniform(0, 2 * np.pi)
        c, s = np.cos(a), np.sin(a)
        return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    if mode == 'so3':
        q, r = np.linalg.qr(rng.normal(size=(3, 3)))
        return q * np.sign(np.diag(r))
    raise ValueError(f"rotate must be 'z', 'so3' or 'none', got {mode!r}")


def sample_primitive(name: str, rng: np.random.Generator,
                     cfg: PrimitiveConfig | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One corrupted, unit-sphere-normalised cloud: (N, 3) float32, (N,) local part ids.

    Outlier (clutter) points get part id -1.
    """
    cfg = cfg or PrimitiveConfig()
    n = cfg.num_points
    partial = rng.random() < cfg.partial_prob
    n_draw = int(np.ceil(n / cfg.partial_keep[0])) + 1 if partial else n
    pts, part = _surface(name, n_draw, rng)
    pts = pts * rng.uniform(1 - cfg.scale_jitter, 1 + cfg.scale_jitter, 3)
    pts = pts @ _rotation(cfg.rotate, rng).T
    if partial:  # keep the points on one side of a random plane
        d = _unit(1, rng)[0]
        proj = pts @ d
        keep_frac = rng.uniform(*cfg.partial_keep)
        keep = proj <= np.quantile(proj, keep_frac)
        pts, part = pts[keep], part[keep]
        sel = rng.choice(len(pts), n, replace=len(pts) < n)
        pts, part = pts[sel], part[sel]
    pts = pts - pts.mean(0)
    pts = pts / np.linalg.norm(pts, axis=1).max()
    pts = pts + rng.normal(scale=cfg.noise, size=pts.shape)
    if rng.random() < cfg.clutter_prob:
        m = int(round(cfg.clutter_ratio * n))
        idx = rng.choice(n, m, replace=False)
        pts[idx] = rng.uniform(-1, 1, (m, 3))
        part = part.copy()
        part[idx] = -1
    return pts.astype(np.float32), part.astype(np.int64)


def make_primitives_dataset(num_per_class: int, seed: int = 0,
                            classes: tuple = PRIMITIVES, **cfg) -> dict:
    """Balanced, seeded set: ``points`` (M, N, 3) float32, ``labels`` (M,), ``parts`` (M, N).

    ``parts`` are global part ids (``part_offsets[label] + local id``; clutter: -1).
    Keyword arguments override :class:`PrimitiveConfig` fields.
    """
    config = PrimitiveConfig(**cfg)
    rng = np.random.default_rng(seed)
    offsets = np.cumsum([0] + [len(PRIMITIVE_PARTS[c]) for c in classes])
    points, labels, parts = [], [], []
    for _ in range(num_per_class):
        for label, name in enumerate(classes):
            p, q = sample_primitive(name, rng, config)
            points.append(p)
            labels.append(label)
            parts.append(np.where(q >= 0, q + offsets[label], -1))
    return dict(points=np.stack(points), labels=np.array(labels, np.int64),
                parts=np.stack(parts), classes=list(classes),
                part_offsets=offsets.tolist(), config=asdict(config))


def export_modelnet40_h5(out_dir: str, train_per_class: int = 40, test_per_class: int = 10,
                         seed: int = 0, classes: tuple = PRIMITIVES, **cfg) -> dict:
    """Write ``ply_data_train0.h5`` / ``ply_data_test0.h5`` (keys ``data``, ``label``).

    Layout of ``modelnet40_ply_hdf5_2048``: ``data`` (M, N, 3) float32, ``label`` (M, 1)
    uint8, plus ``shape_names.txt`` and ``{train,test}_files.txt``.
    """
    import h5py
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for split, per_class, s in (('train', train_per_class, seed), ('test', test_per_class, seed + 1)):
        d = make_primitives_dataset(per_class, s, classes, **cfg)
        path = os.path.join(out_dir, f'ply_data_{split}0.h5')
        with h5py.File(path, 'w') as f:
            f.create_dataset('data', data=d['points'])
            f.create_dataset('label', data=d['labels'].astype(np.uint8)[:, None])
        with open(os.path.join(out_dir, f'{split}_files.txt'), 'w') as f:
            f.write(f'data/modelnet40_ply_hdf5_2048/ply_data_{split}0.h5\n')
        paths[split] = path
    with open(os.path.join(out_dir, 'shape_names.txt'), 'w') as f:
        f.write('\n'.join(classes) + '\n')
    return paths


def export_shapenetpart(out_dir: str, train_per_class: int = 10, test_per_class: int = 4,
                        seed: int = 0, classes: tuple = ('cylinder', 'cone', 'capsule', 'pyramid'),
                        **cfg) -> dict:
    """Write the ShapeNetPart layout: per-shape ``x y z nx ny nz part`` txt files
    (normals are zeros), ``synsetoffset2category.txt`` and
    ``train_test_split/shuffled_{train,val,test}_file_list.json``.
    """
    cfg.setdefault('clutter_prob', 0.0)
    os.makedirs(os.path.join(out_dir, 'train_test_split'), exist_ok=True)
    synsets = [f'{i:08d}' for i in range(len(classes))]
    with open(os.path.join(out_dir, 'synsetoffset2category.txt'), 'w') as f:
        f.writelines(f'{name}\t{syn}\n' for name, syn in zip(classes, synsets))
    lists = {'train': [], 'val': [], 'test': []}
    for split, per_class, s in (('train', train_per_class, seed), ('test', test_per_class, seed + 1)):
        d = make_primitives_dataset(per_class, s, tuple(classes), **cfg)
        for i, (pts, label, parts) in enumerate(zip(d['points'], d['labels'], d['parts'])):
            syn = synsets[label]
            os.makedirs(os.path.join(out_dir, syn), exist_ok=True)
            token = f'{split}_{i:05d}'
            rows = np.concatenate([pts, np.zeros_like(pts), parts[:, None]], 1)
            np.savetxt(os.path.join(out_dir, syn, token + '.txt'), rows, fmt='%.6f')
            lists[split].append(f'shape_data/{syn}/{token}')
    for split, items in lists.items():
        with open(os.path.join(out_dir, 'train_test_split',
                               f'shuffled_{split}_file_list.json'), 'w') as f:
            json.dump(items, f)
    return dict(classes=list(classes), synsets=synsets,
                num_parts=sum(len(PRIMITIVE_PARTS[c]) for c in classes))
