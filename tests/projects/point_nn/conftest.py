import os

import pytest
import torch

import mmvideofm  # noqa: F401  (compat shims before mmaction imports)
import projects.point_nn  # noqa: F401  (registers the plugin)

DATA = os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'point_nn')


def load_fixture(name: str) -> dict:
    return torch.load(os.path.join(DATA, name), weights_only=True)


@pytest.fixture(autouse=True)
def _one_thread_mmvideofm_scope():
    from mmengine.registry import DefaultScope
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with DefaultScope.overwrite_default_scope('mmvideofm'):
        yield
    torch.set_num_threads(threads)


def close(a: torch.Tensor, b: torch.Tensor, rtol: float = 1e-5, atol: float = 1e-5) -> bool:
    """The fixture README's fp32 bound."""
    return torch.allclose(a.float(), b.float(), rtol=rtol, atol=atol)
