"""tools/mvbench/evaluate.py: resume only the same run (#10.1), checked --checkpoint (#10.2)."""
import importlib.util
import json
import os.path as osp

import pytest
import torch

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CFG = osp.join(REPO, 'configs', 'mvbench')
ALL = osp.join(CFG, 'mvbench_colour-matcher-all-frames_16x224_tiny-synthetic.py')
SINGLE = osp.join(CFG, 'mvbench_colour-matcher-single-frame_16x224_tiny-synthetic.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location(
        'mvbench_evaluate_tool', osp.join(REPO, 'tools', 'mvbench', 'evaluate.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    from projects.mvbench.generation import export_tiny_mvbench
    root = str(tmp_path_factory.mktemp('mvb_tiny_eval'))
    export_tiny_mvbench(root, num_per_task=4, seed=0)
    return root


def _opts(tiny):
    return ['--no-progress', '--cfg-options', f'test_dataloader.dataset.data_root={tiny}',
            'test_dataloader.dataset.pipeline.1.resolution=32']


def _board(work):
    with open(osp.join(work, 'leaderboard.json')) as f:
        return json.load(f)


def test_resume_refuses_another_model(tool, tiny, tmp_path):
    """All-frames then single-frame into one work dir must not 'resume' the first answers."""
    work = str(tmp_path / 'shared')
    assert tool.main([ALL, '--work-dir', work] + _opts(tiny)) == 0
    first = _board(work)
    with pytest.raises(SystemExit) as err:
        tool.main([SINGLE, '--work-dir', work] + _opts(tiny))
    msg = str(err.value)
    assert 'model_config' in msg and '--overwrite' in msg and '--work-dir' in msg, msg
    assert _board(work) == first  # nothing was overwritten by the refusal
    # the same config resumes (nothing to do) and --overwrite starts fresh
    assert tool.main([ALL, '--work-dir', work] + _opts(tiny)) == 0
    assert tool.main([SINGLE, '--work-dir', work, '--overwrite'] + _opts(tiny)) == 0
    fresh = str(tmp_path / 'fresh')
    assert tool.main([SINGLE, '--work-dir', fresh] + _opts(tiny)) == 0
    assert _board(work) == _board(fresh) != first
    with open(osp.join(work, 'predictions', 'fingerprint.json')) as f:
        fp = json.load(f)
    assert fp['fingerprint']['num_frames'] == 16
    assert fp['fingerprint']['model_config']['answerer']['frames'] == 'single'


def test_resume_refuses_another_checkpoint(tool, tiny, tmp_path):
    work = str(tmp_path / 'ckpt')
    ckpts = []
    for name in ('a.pth', 'b.pth'):  # weights the colour matcher ignores (--no-strict)
        ckpts.append(str(tmp_path / name))
        torch.save({'state_dict': torch.nn.Linear(3, 2).state_dict()}, ckpts[-1])
    run = [ALL, '--work-dir', work, '--no-strict'] + _opts(tiny)
    assert tool.main(run + ['--checkpoint', ckpts[0]]) == 0
    with pytest.raises(SystemExit, match='checkpoint'):
        tool.main(run + ['--checkpoint', ckpts[1]])
    with pytest.raises(SystemExit, match='checkpoint'):
        tool.main(run)
    assert tool.main(run + ['--checkpoint', ckpts[0]]) == 0  # the same run resumes


def test_checkpoint_of_another_model_is_refused(tool, tiny, tmp_path):
    other = str(tmp_path / 'other.pth')
    torch.save({'state_dict': torch.nn.Linear(3, 2).state_dict()}, other)
    work = str(tmp_path / 'strict')
    with pytest.raises(SystemExit) as err:
        tool.main([ALL, '--work-dir', work, '--checkpoint', other] + _opts(tiny))
    msg = str(err.value)
    assert 'unexpected keys (2): weight, bias' in msg and 'convert_checkpoint.py' in msg, msg
    assert '--no-strict' in msg
    assert not osp.exists(osp.join(work, 'leaderboard.json'))  # nothing was evaluated
    assert tool.main([ALL, '--work-dir', work, '--checkpoint', other, '--no-strict']
                     + _opts(tiny)) == 0
