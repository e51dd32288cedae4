"""tools/dist_train.sh / dist_test.sh from a fresh shell: no venv on PATH (issue #10.9)."""
import os
import os.path as osp
import shutil
import socket
import stat
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tests', 'tools'))

from _configs import tiny_video_config  # noqa: E402


def fresh_shell_env(**extra) -> dict:
    """The environment of a new login shell: no venv, no PYTHONPATH, no PYTHON."""
    venv_bins = {osp.join(REPO, '.venv', 'bin'), osp.dirname(sys.executable)}
    path = [p for p in os.environ.get('PATH', '').split(os.pathsep)
            if p and osp.realpath(p) not in {osp.realpath(v) for v in venv_bins}]
    env = {k: v for k, v in os.environ.items()
           if k not in ('VIRTUAL_ENV', 'PYTHONPATH', 'PYTHON', 'PYTHONHOME')}
    env.update(PATH=os.pathsep.join(path or ['/usr/bin', '/bin']), OMP_NUM_THREADS='1', **extra)
    return env


def _free_port() -> str:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def test_dist_train_and_test_run_without_the_venv_on_path(tmp_path):
    """The README's `tools/dist_train.sh CONFIG 1` then `tools/dist_test.sh ...`, run from
    another folder in a shell whose `python` is not the project's (it has no torch)."""
    work = tmp_path / 'run'
    cfg = tiny_video_config(work, max_epochs=1, num_samples=4, batch_size=2)
    env = fresh_shell_env(PORT=_free_port())
    train = subprocess.run(['bash', osp.join(REPO, 'tools', 'dist_train.sh'), cfg, '1'],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert train.returncode == 0, train.stderr[-3000:]
    assert osp.isfile(work / 'epoch_1.pth')
    test = subprocess.run(['bash', osp.join(REPO, 'tools', 'dist_test.sh'), cfg,
                           str(work / 'epoch_1.pth'), '1', '--work-dir', str(tmp_path / 'test')],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert test.returncode == 0, test.stderr[-3000:]
    assert 'acc/top1' in test.stdout + test.stderr


def _fake_python(path) -> str:
    """An executable that records its arguments instead of running anything."""
    path.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done > "$ARGS_OUT"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_interpreter_choice_and_command_line(tmp_path):
    """$PYTHON wins, then the repo's .venv/bin/python, then python3 on PATH."""
    args_out = tmp_path / 'args.txt'
    # 1) PYTHON set: used, with torchrun's arguments and the extra train.py flags passed on
    env = fresh_shell_env(PYTHON=_fake_python(tmp_path / 'mypy'), ARGS_OUT=str(args_out),
                          NNODES='1', PORT='29555')
    out = subprocess.run(['bash', osp.join(REPO, 'tools', 'dist_train.sh'), 'my cfg.py', '2',
                          '--amp', '--cfg-options', 'a=1'],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    args = args_out.read_text().splitlines()
    assert args[:2] == ['-m', 'torch.distributed.run']
    assert '--nproc_per_node=2' in args and '--master_port=29555' in args
    assert args[args.index(osp.join(REPO, 'tools', 'train.py')) + 1:] == [
        'my cfg.py', '--launcher', 'pytorch', '--amp', '--cfg-options', 'a=1']

    # 2) a checkout without .venv and no PYTHON: python3 from PATH
    fake_repo = tmp_path / 'repo'
    (fake_repo / 'tools').mkdir(parents=True)
    for name in ('dist_train.sh', 'dist_test.sh', 'dist_run.sh'):
        shutil.copy(osp.join(REPO, 'tools', name), fake_repo / 'tools' / name)
    bindir = tmp_path / 'bin'
    bindir.mkdir()
    _fake_python(bindir / 'python3')
    env = fresh_shell_env(ARGS_OUT=str(args_out))
    env['PATH'] = f'{bindir}{os.pathsep}{env["PATH"]}'
    out = subprocess.run(['bash', str(fake_repo / 'tools' / 'dist_test.sh'), 'c.py', 'w.pth', '1'],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    args = args_out.read_text().splitlines()
    assert args[-5:] == [str(fake_repo / 'tools' / 'test.py'), 'c.py', 'w.pth',
                         '--launcher', 'pytorch']

    # 3) missing arguments: a usage line, not a torchrun traceback
    out = subprocess.run(['bash', osp.join(REPO, 'tools', 'dist_train.sh')], env=env,
                         capture_output=True, text=True)
    assert out.returncode != 0 and 'Usage: tools/dist_train.sh CONFIG' in out.stderr
