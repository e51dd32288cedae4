"""tools/extract_features.py: one .npy per video, resumable, sharded by torchrun, failures logged."""
import glob
import os
import os.path as osp
import subprocess
import sys

import h5py
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmvideofm.apis import extract_features, init_model
from mmvideofm.datasets.synthetic import WorldConfig
from mmvideofm.datasets.synthetic.export import export_split

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'extract_features.py')
CONFIG = osp.join(REPO, 'configs', 'videovit',
                  'videovit-tiny-p8_scratch_synthetic-direction-16x32.py')
sys.path.insert(0, REPO)

from tools import extract_features as tool  # noqa: E402

# good videos, a corrupt file and a missing one, in mmaction2 list format
KEYS = ['test/000000.mp4', 'test/000001.mp4', 'test/000002.mp4', 'test/corrupt.mp4',
        'test/000003.mp4', 'test/missing.mp4', 'test/000004.mp4']
GOOD = [k for k in KEYS if 'corrupt' not in k and 'missing' not in k]

KILL_MODULE = '''
import os
import signal

from mmvideofm.registry import TRANSFORMS

CALLS = [0]


@TRANSFORMS.register_module(force=True)
class KillSelfAfter:
    """SIGKILL this process when the pipeline starts its (after + 1)-th video."""

    def __init__(self, after):
        self.after = after

    def __call__(self, results):
        CALLS[0] += 1
        if CALLS[0] > self.after:
            os.kill(os.getpid(), signal.SIGKILL)
        return results
'''


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """Five 8-frame 32 px mp4s, a corrupt one, a list file, a seeded checkpoint."""
    root = tmp_path_factory.mktemp('extract')
    data = str(root / 'data')
    export_split(data, 'test', 5, config=WorldConfig(num_frames=8, size=32), progress=False)
    with open(osp.join(data, 'test', 'corrupt.mp4'), 'wb') as f:
        f.write(b'\x00\x00\x00\x18ftypmp42' + os.urandom(300))  # mp4 header, no moov atom
    video_list = str(root / 'list.txt')
    with open(video_list, 'w') as f:
        f.writelines(f'{k} {i % 3}\n' for i, k in enumerate(KEYS))
    torch.manual_seed(0)
    ckpt = str(root / 'model.pth')
    torch.save({'state_dict': init_model(CONFIG).state_dict()}, ckpt)
    return dict(root=root, data=data, list=video_list, ckpt=ckpt)


def _run(setup, out, *extra, config=CONFIG):
    return tool.main([config, setup['ckpt'], '--video-list', setup['list'], '--data-root',
                      setup['data'], '--out', str(out), '--no-progress', *extra])


def _outputs(out):
    """{file name: array} of a feature folder, and its failures.tsv text."""
    arrays = {osp.basename(p): np.load(p) for p in glob.glob(osp.join(out, '*.npy'))}
    with open(osp.join(out, 'failures.tsv')) as f:
        return arrays, f.read()


@pytest.fixture(scope='module')
def reference(setup):
    """One clean single-process run (with --h5) that the other tests compare against."""
    out = setup['root'] / 'ref'
    rc = _run(setup, out, '--h5', str(setup['root'] / 'ref.h5'))
    assert rc == 3  # some videos failed
    return _outputs(out)


def test_single_process_writes_one_npy_per_video(setup, reference, capsys):
    arrays, failures = reference
    assert sorted(arrays) == sorted(tool.output_name(k) for k in GOOD)
    assert tool.output_name('test/000000.mp4') == 'test%2F000000.mp4.npy'
    model = init_model(CONFIG, setup['ckpt'])
    for key in GOOD:
        expected = extract_features(model, osp.join(setup['data'], key)).numpy()
        assert expected.shape == (1, 96)  # (views, C)
        saved = arrays[tool.output_name(key)]
        assert saved.dtype == np.float32
        np.testing.assert_array_equal(saved, expected)
    # bad videos are listed with their reason, in list order, never dropped
    rows = [line.split('\t') for line in failures.splitlines()]
    assert [r[0] for r in rows] == ['test/corrupt.mp4', 'test/missing.mp4']
    assert rows[0][1].startswith('VideoReadError: ') and 'corrupt.mp4' in rows[0][1]
    assert rows[1][1].startswith('VideoReadError: ') and 'no such file' in rows[1][1]
    assert not glob.glob(osp.join(setup['root'] / 'ref', '*' + tool.TMP_TAG + '*'))
    # --layer saves that block's tokens
    capsys.readouterr()
    layer_out = setup['root'] / 'layer'
    assert _run(setup, layer_out, '--layer', '-1') == 3
    tokens = np.load(osp.join(layer_out, tool.output_name(GOOD[0])))
    np.testing.assert_array_equal(tokens, extract_features(
        model, osp.join(setup['data'], GOOD[0]), layer=-1).numpy())
    assert tokens.shape == (1, 128, 96)
    assert 'extracted 5, skipped 0 (already done), failed 2' in capsys.readouterr().out


def test_h5_equals_the_npy_files(setup, reference):
    arrays, _ = reference
    with h5py.File(setup['root'] / 'ref.h5', 'r') as f:
        names = []
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset)
                     else None)
        assert sorted(names) == sorted(GOOD)  # dataset name = the video's key
        for key in GOOD:
            np.testing.assert_array_equal(f[key][()], arrays[tool.output_name(key)])


def _env(*paths):
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([*paths, REPO, env.get('PYTHONPATH', '')])
    env['OMP_NUM_THREADS'] = '1'
    return env


def test_killed_run_resumes_without_recomputing(setup, reference, capsys):
    """SIGKILL after 2 videos; the rerun skips them (mtimes kept) and ends as a clean run."""
    root = setup['root']
    (root / 'kill_self_after.py').write_text(KILL_MODULE)
    cfg = Config.fromfile(CONFIG)
    cfg.custom_imports = dict(imports=['kill_self_after'], allow_failed_imports=False)
    cfg.test_dataloader.dataset.pipeline = [dict(type='KillSelfAfter', after=2),
                                            *cfg.test_dataloader.dataset.pipeline]
    kill_cfg = str(root / 'kill_cfg.py')
    cfg.dump(kill_cfg)
    out = root / 'killed'
    proc = subprocess.run(
        [sys.executable, TOOL, kill_cfg, setup['ckpt'], '--video-list', setup['list'],
         '--data-root', setup['data'], '--out', str(out), '--no-progress'],
        env=_env(str(root)), capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr[-3000:]
    done = sorted(glob.glob(osp.join(out, '*.npy')))
    assert [osp.basename(p) for p in done] == [tool.output_name(k) for k in KEYS[:2]]
    stamps = {p: os.stat(p).st_mtime_ns for p in done}
    torn = osp.join(out, tool.output_name(KEYS[2]) + tool.TMP_TAG + '12345')
    open(torn, 'wb').close()  # what a kill during np.save would leave

    capsys.readouterr()
    assert _run(setup, out) == 3
    log = capsys.readouterr().out
    assert 'skipping 2 of 7 videos already done' in log
    assert 'extracted 3, skipped 2 (already done), failed 2' in log
    assert {p: os.stat(p).st_mtime_ns for p in done} == stamps  # not recomputed
    assert not glob.glob(osp.join(out, '*' + tool.TMP_TAG + '*'))
    arrays, failures = _outputs(out)
    ref_arrays, ref_failures = reference
    assert failures == ref_failures and arrays.keys() == ref_arrays.keys()
    for name, value in ref_arrays.items():
        np.testing.assert_array_equal(arrays[name], value)
    # a third run has nothing left to extract but still reports the failures
    assert _run(setup, out) == 3
    assert 'extracted 0, skipped 5 (already done), failed 2' in capsys.readouterr().out
    assert {p: os.stat(p).st_mtime_ns for p in done} == stamps


def test_torchrun_two_ranks_equal_single_process(setup, reference, torchrun):
    """Two gloo processes, each taking every 2nd video, write exactly the same files."""
    out = setup['root'] / 'dist'
    proc = torchrun(TOOL, CONFIG, setup['ckpt'], '--video-list', setup['list'], '--data-root',
                    setup['data'], '--out', str(out), '--no-progress', '--launcher', 'pytorch',
                    '--device', 'cpu')
    assert proc.returncode != 0, 'a failed video must give a non-zero exit status'
    assert 'extracted 5, skipped 0 (already done), failed 2' in proc.stdout, (
        proc.stdout[-2000:] + proc.stderr[-3000:])
    assert '[rank 1] failed test/corrupt.mp4' in proc.stdout + proc.stderr  # index 3: rank 1
    arrays, failures = _outputs(out)
    ref_arrays, ref_failures = reference
    assert failures == ref_failures  # merged from both ranks, in list order
    assert not glob.glob(osp.join(out, 'failures.rank*.tsv'))
    assert arrays.keys() == ref_arrays.keys()
    for name, value in ref_arrays.items():
        assert arrays[name].tobytes() == value.tobytes(), name


def test_bad_arguments_are_named(setup, tmp_path):
    with pytest.raises(FileNotFoundError, match='video list not found'):
        tool.main([CONFIG, '--video-list', str(tmp_path / 'nope.txt'), '--out',
                   str(tmp_path / 'o')])
    empty = tmp_path / 'empty.txt'
    empty.write_text('# nothing\n\n')
    with pytest.raises(ValueError, match='has no videos'):
        tool.main([CONFIG, '--video-list', str(empty), '--out', str(tmp_path / 'o')])
    long_key = 'a/' * 200 + 'x.mp4'
    name = tool.output_name(long_key)
    assert len(name) <= 204 and name != tool.output_name('a/' * 199 + 'y.mp4')
    # names never contain the temporaries' tag, so a rerun's clean-up cannot delete a result
    assert tool.TMP_TAG not in tool.output_name('clip' + tool.TMP_TAG + '1.mp4')
