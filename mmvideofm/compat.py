"""Narrow, import-time fixes for the pinned releases (see DESIGN.md, Runtime).

Each shim checks that the problem exists before touching anything and names the
upstream issue. ``apply()`` is idempotent and runs on ``import mmvideofm``.
"""
from __future__ import annotations

import os
import sys
import types
import warnings

_APPLIED = False


def _stub_mmaction_drn() -> None:
    """mmaction2 1.2.0 wheels lack ``mmaction/models/localizers/drn``.

    Upstream: open-mmlab/mmaction2#2714 (the folder has no ``__init__.py`` so
    setuptools drops it). ``mmaction/models/localizers/__init__.py`` imports
    ``.drn.drn.DRN``, so ``import mmaction.models`` fails. We detect the missing
    folder by path (``find_spec`` on the submodule would import the broken
    parent) and register stub modules whose ``DRN`` explains itself when used.
    """
    import mmaction

    drn_dir = os.path.join(os.path.dirname(mmaction.__file__), 'models', 'localizers', 'drn')
    if os.path.isfile(os.path.join(drn_dir, 'drn.py')):
        return
    pkg_name = 'mmaction.models.localizers.drn'
    if pkg_name in sys.modules:
        return

    class DRN:  # noqa: D401 - placeholder
        """Placeholder: DRN is missing from the mmaction2 1.2.0 wheel (mmaction2#2714)."""

        def __init__(self, *args, **kwargs):
            raise ImportError('mmaction2 1.2.0 wheel ships without localizers/drn '
                              '(open-mmlab/mmaction2#2714); install mmaction2 from source '
                              'to use DRN.')

    pkg = types.ModuleType(pkg_name)
    pkg.__path__ = []  # a package, so `from .drn.drn import DRN` resolves
    mod = types.ModuleType(pkg_name + '.drn')
    mod.DRN = DRN
    pkg.drn = mod
    sys.modules[pkg_name] = pkg
    sys.modules[pkg_name + '.drn'] = mod


def _disable_mmaction_multimodal() -> None:
    """mmaction2's VindLU imports transformers internals removed in transformers 5.

    (``apply_chunking_to_forward`` from ``transformers.modeling_utils``; upstream
    open-mmlab/mmaction2 pins transformers>=4.28 with no upper bound.) With
    ``WITH_MULTIMODAL = False`` mmaction registers its placeholders instead.
    """
    try:
        from transformers import modeling_utils
    except ImportError:
        return
    if hasattr(modeling_utils, 'apply_chunking_to_forward'):
        return
    import mmaction.utils.dependency as dep

    dep.WITH_MULTIMODAL = False


def _safe_mmengine_local_loader() -> None:
    """mmengine 0.10.7 calls ``torch.load`` without ``weights_only``.

    torch >= 2.6 defaults to ``weights_only=True`` and rejects mmengine's own
    resume files (HistoryBuffer, numpy scalars) and official checkpoints that
    pickled ``argparse.Namespace`` (torch 2.6 changed the default; mmengine
    0.10.7 predates it). We route local
    files through :func:`mmvideofm.checkpoint.load_checkpoint_file`, which keeps
    ``weights_only=True`` and adds an explicit allowlist.
    """
    from mmengine.runner.checkpoint import CheckpointLoader

    from mmvideofm.checkpoint.io import load_checkpoint_file

    def load_from_local(filename, map_location=None):
        filename = os.path.expanduser(filename)
        return load_checkpoint_file(filename, map_location=map_location)

    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)


def _cpu_pytorch_launcher() -> None:
    """mmengine 0.10.7's pytorch launcher calls ``torch.cuda.set_device`` unconditionally.

    That fails on CPU-only machines, so ``torchrun ... --launcher pytorch`` with the
    gloo backend could not start (mmengine.dist.utils._init_dist_pytorch). Without
    CUDA we initialise the process group directly; with CUDA mmengine's code runs.
    """
    import torch
    from mmengine.dist import utils as dist_utils

    original = dist_utils._init_dist_pytorch
    if getattr(original, '_mmvideofm_cpu', False):
        return

    def init_dist_pytorch(backend='nccl', init_backend='torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        if backend == 'nccl':
            backend = 'gloo'
        torch.distributed.init_process_group(backend=backend, **kwargs)

    init_dist_pytorch._mmvideofm_cpu = True
    dist_utils._init_dist_pytorch = init_dist_pytorch


def _quiet_mmcv_lite_deform_attn() -> None:
    """mmcv-lite warns on the first import of ``mmcv.cnn.bricks.transformer`` (pulled in by
    ``mmaction.models``, so by every command) that its compiled
    ``MultiScaleDeformableAttention`` is missing.

    mmcv-lite ships no compiled ops by design (mmaction2 1.2.0 pins mmcv<2.2; DESIGN.md,
    Runtime); no mmvideofm model uses deformable attention, and using it still fails
    loudly (the name is not registered). We import that module once, here, with only that
    one message ignored; every other warning, later ones from mmcv included, still shows.
    """
    import importlib.util
    if 'mmcv.cnn.bricks.transformer' in sys.modules or importlib.util.find_spec('mmcv._ext'):
        return
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message=r'Fail to import ``MultiScaleDeformableAttention``',
                                category=UserWarning)
        import mmcv.cnn.bricks.transformer  # noqa: F401


def apply() -> None:
    global _APPLIED
    if _APPLIED:
        return
    _quiet_mmcv_lite_deform_attn()
    _stub_mmaction_drn()
    _disable_mmaction_multimodal()
    _safe_mmengine_local_loader()
    _cpu_pytorch_launcher()
    _APPLIED = True
