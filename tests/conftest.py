import os
import os.path as osp
import socket
import subprocess
import sys

os.environ.setdefault('OMP_NUM_THREADS', '1')

import pytest  # noqa: E402
import torch  # noqa: E402

import mmvideofm  # noqa: E402,F401  (compat shims before any mmaction import)

torch.set_num_threads(int(os.environ.get('MMVIDEOFM_TEST_THREADS', '1')))

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..'))


def free_port() -> int:
    """A free local port (torchrun's default 29500 clashes between parallel tests, and
    ``--master_port 0`` can hang gloo's start-up)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def torchrun():
    """``torchrun(script, *args, nproc=2, timeout=300, pythonpath=())``: run a script in
    ``nproc`` real processes (gloo on CPU) from the repository root, one torch thread each."""

    def run(script: str, *args: str, nproc: int = 2, timeout: float = 300,
            pythonpath: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
        cmd = [sys.executable, '-m', 'torch.distributed.run', f'--nproc_per_node={nproc}',
               f'--master_port={free_port()}', script, *map(str, args)]
        env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join(
            [*pythonpath, REPO, os.environ.get('PYTHONPATH', '')]))
        return subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True,
                              timeout=timeout)

    return run
