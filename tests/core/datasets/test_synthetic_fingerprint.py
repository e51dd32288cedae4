"""The synthetic world is frozen: clips, labels, captions and exports are bit-identical.

``tests/data/core/synthetic_world_fingerprint.json`` was recorded with the code before the
task-registry refactor (Issue #9); regenerate it only for an intended change of the world:
``PYTHONPATH=. python tests/core/datasets/test_synthetic_fingerprint.py --write``.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os.path as osp
import sys

import numpy as np

from mmvideofm.datasets.synthetic import SHAPES, TASKS, SyntheticWorld, WorldConfig
from mmvideofm.datasets.synthetic.export import export_dataset

FIXTURE = osp.join(osp.dirname(__file__), '..', '..', 'data', 'core',
                   'synthetic_world_fingerprint.json')
NUM_CLIPS = 30
CONFIGS = {
    'default': {},
    'noise0_8x32': dict(num_frames=8, size=32, noise=0),
    'big_objects_4obj': dict(num_frames=12, size=48, max_objects=4,
                             object_size=(0.25, 0.35), motion=(0.2, 0.4)),
    'three_shapes': dict(shapes=('circle', 'square', 'diamond'), size=24, max_objects=2),
}
# the task order of the fixture; a task added later is fingerprinted only when recorded
RECORDED_TASKS = (None, 'direction', 'count', 'order', 'mover_shape', 'event_order')


def _recorded_labels(record: dict) -> dict:
    """A clip's JSON with the labels of the recorded tasks only (plugins may register more)."""
    return dict(record, labels={k: v for k, v in record['labels'].items() if k in RECORDED_TASKS})


def _clip_digest(world: SyntheticWorld, task: str | None) -> str:
    h = hashlib.sha256()
    for i in range(NUM_CLIPS):
        clip = world.sample(i, task)
        h.update(np.ascontiguousarray(clip.frames).tobytes())
        h.update(json.dumps(_recorded_labels(clip.to_json()), sort_keys=True).encode())
    return h.hexdigest()


def world_fingerprint() -> dict[str, str]:
    """sha256 of frames + ground truth (labels, caption, events, boxes) per config/split/task."""
    out = {}
    for name, kwargs in CONFIGS.items():
        cfg = WorldConfig(**kwargs)
        for split in ('train', 'val'):
            world = SyntheticWorld(cfg, seed=3, split=split)
            for task in RECORDED_TASKS:
                if task in ('order', 'mover_shape') and not set(cfg.shapes) <= set(SHAPES):
                    continue  # labels are indices into SHAPES
                out[f'{name}/{split}/{task}'] = _clip_digest(world, task)
    return out


def export_fingerprint(root: str) -> dict[str, str]:
    """sha256 of every file ``export_dataset`` writes (PNG frames by their pixels)."""
    import cv2
    export_dataset(root, task='order', num_train=4, num_val=2, num_test=1,
                   config=WorldConfig(num_frames=8, size=24), seed=5, fmt='frames',
                   frame_ext='png', progress=False)
    out = {}
    for path in sorted(glob.glob(osp.join(root, '**', '*.*'), recursive=True)):
        rel = osp.relpath(path, root)
        if path.endswith('.png'):
            data = cv2.imread(path, cv2.IMREAD_UNCHANGED).tobytes()
        elif rel in ('train.json', 'val.json', 'test.json'):
            with open(path) as f:
                gt = json.load(f)
            gt['clips'] = [_recorded_labels(c) for c in gt['clips']]
            data = json.dumps(gt, sort_keys=True).encode()
        else:
            with open(path, 'rb') as f:
                data = f.read()
        out[rel] = hashlib.sha256(data).hexdigest()
    return out


def test_world_fingerprint_unchanged():
    with open(FIXTURE) as f:
        want = json.load(f)['world']
    got = world_fingerprint()
    assert set(got) == set(want)
    changed = sorted(k for k in want if got[k] != want[k])
    assert not changed, f'synthetic clips changed for {changed}'
    assert set(TASKS) >= {t for t in RECORDED_TASKS if t}


def test_export_fingerprint_unchanged(tmp_path):
    with open(FIXTURE) as f:
        want = json.load(f)['export']
    got = export_fingerprint(str(tmp_path / 'out'))
    assert got == want


if __name__ == '__main__' and '--write' in sys.argv:
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        data = dict(world=world_fingerprint(), export=export_fingerprint(osp.join(tmp, 'out')))
    with open(FIXTURE, 'w') as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write('\n')
    print(f'wrote {FIXTURE}: {len(data["world"])} world + {len(data["export"])} export digests')
