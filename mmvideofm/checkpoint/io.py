"""The one checkpoint loader: ``weights_only=True`` plus an explicit allowlist."""
from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import re
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

__all__ = ['UnsafeCheckpointError', 'load_checkpoint_file', 'unwrap_state_dict',
           'safe_globals_allowlist', 'trusted_loading', 'PickledConfig']

#: Config classes official trainers pickle next to the weights (InternVideo / ViCLIP save
#: their EasyDict ``config``): read back as a plain :class:`PickledConfig`, never imported.
PICKLED_CONFIG_CLASSES = ('utils.easydict.EasyDict', 'easydict.EasyDict')


class PickledConfig:
    """Stands in for a pickled EasyDict config while unpickling: each one becomes a plain
    ``OrderedDict`` of its items; nothing of the original class is imported or run."""

    def __new__(cls, *args: Any, **kwargs: Any) -> OrderedDict:
        return OrderedDict()


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint pickles a class outside the allowlist."""


def safe_globals_allowlist() -> list:
    """Harmless classes that official and mmengine checkpoints pickle."""
    allow: list = [argparse.Namespace, np.ndarray, np.dtype]
    # numpy scalars, dtypes and array reconstruction (numpy 1.x and 2.x spellings)
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    allow += [_reconstruct, scalar]
    allow += [type(np.dtype(t)) for t in (
        'float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64',
        'uint8', 'bool', 'complex64', 'complex128')]
    from mmengine.logging.history_buffer import HistoryBuffer
    allow.append(HistoryBuffer)
    # Functions pickled as getattr(Class, name): HistoryBuffer's statistics
    # (getattr(HistoryBuffer, 'min')) and OneCycleParamScheduler's anneal_func
    # (getattr(OneCycleParamScheduler, '_annealing_cos')) in mmengine runner checkpoints.
    # The global ``getattr`` maps to a version that allows exactly those; the scheduler
    # class itself is replaced by a stand-in that cannot be instantiated.
    allow.append((_restricted_getattr, 'builtins.getattr'))
    allow.append((_OneCycleFunctions, _ONE_CYCLE))
    from mmengine.config import ConfigDict
    allow.append(ConfigDict)
    allow += [(PickledConfig, name) for name in PICKLED_CONFIG_CLASSES]
    return allow


_ONE_CYCLE = 'mmengine.optim.scheduler.param_scheduler.OneCycleParamScheduler'


class _OneCycleFunctions:
    """Stands in for ``OneCycleParamScheduler`` while unpickling: only its annealing
    functions can be taken from it."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        raise pickle.UnpicklingError('OneCycleParamScheduler cannot be built from a checkpoint')


def _restricted_getattr(obj: Any, name: str) -> Any:
    if obj is _OneCycleFunctions and name in ('_annealing_cos', '_annealing_linear'):
        from mmengine.optim.scheduler.param_scheduler import OneCycleParamScheduler
        return getattr(OneCycleParamScheduler, name)
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and name in {'min', 'max', 'current', 'mean',
                                         *HistoryBuffer._statistics_methods}:
        return getattr(obj, name)
    raise pickle.UnpicklingError(f'getattr({obj!r}, {name!r}) is not allowed in checkpoints')


_GLOBAL_RE = re.compile(r'GLOBAL ([\w.]+)')
_TRUSTED = False


@contextlib.contextmanager
def trusted_loading(enabled: bool = True):
    """Within the block every :func:`load_checkpoint_file` call is ``trusted`` (the
    ``--trusted`` flag of tools/train.py and tools/test.py; mmengine's loads go through it)."""
    global _TRUSTED
    previous, _TRUSTED = _TRUSTED, _TRUSTED or bool(enabled)
    try:
        yield
    finally:
        _TRUSTED = previous


def _is_torchscript(path: str) -> bool:
    """A TorchScript archive (``torch.jit.save``): a zip with ``constants.pkl`` or ``code/``."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any(n.endswith('constants.pkl') or '/code/' in n for n in zf.namelist())


def load_checkpoint_file(path: str | os.PathLike, map_location: Any = 'cpu',
                         trusted: bool = False, mmap: bool = False) -> Any:
    """Load a checkpoint file safely.

    Args:
        path: a local ``.pt``/``.pth``/``.bin`` file, ``.safetensors`` or a TorchScript
            archive (read with ``torch.jit.load``: its state dict).
        map_location: as in :func:`torch.load`.
        trusted: allow arbitrary pickles (``weights_only=False``). Only for files
            whose origin you trust: unpickling runs code.
        mmap: memory-map the tensors (``torch.load(mmap=True)``; zip-format files only), so
            a multi-GB checkpoint need not fit in RAM.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path!r}')
    if os.path.getsize(path) == 0:
        raise ValueError(f'checkpoint file is empty: {path!r}')
    if _is_torchscript(path):  # e.g. OpenAI's CLIP releases: tensors + TorchScript code, no pickle
        return dict(torch.jit.load(path, map_location=map_location).state_dict())
    if path.endswith('.safetensors'):  # tensors only: nothing to unpickle
        from safetensors.torch import load_file
        device = map_location if isinstance(map_location, (str, torch.device)) else 'cpu'
        return load_file(path, device=str(device))
    kwargs = dict(map_location=map_location, mmap=True) if mmap else dict(map_location=map_location)
    if trusted or _TRUSTED:
        return torch.load(path, weights_only=False, **kwargs)
    try:
        with torch.serialization.safe_globals(safe_globals_allowlist()):
            return torch.load(path, weights_only=True, **kwargs)
    except pickle.UnpicklingError as err:
        msg = str(err)
        match = _GLOBAL_RE.search(msg)
        name = match.group(1) if match else None
        what = f'class {name!r}' if name else 'an object outside the allowlist'
        reason = msg.split('WeightsUnpickler error:')[-1].strip().split('\n')[0][:200]
        raise UnsafeCheckpointError(
            f'refusing to unpickle {what} from checkpoint {path!r}: only tensors, '
            f'plain containers and allowlisted classes load by default. If you trust '
            f'this file, pass --trusted to tools/train.py, tools/test.py or '
            f'tools/convert_checkpoint.py (Python: trusted=True; init_cfg: trusted=True). '
            f'Unpickler said: {reason}') from err
    except RuntimeError as err:
        if 'zip' in str(err).lower() or 'magic' in str(err).lower():
            raise ValueError(f'checkpoint file {path!r} is corrupt or not a torch '
                             f'checkpoint: {err}') from err
        raise


_WRAPPER_KEYS = ('state_dict', 'model', 'module', 'model_state', 'ema')  # ema: SEINE's seine.pt


def unwrap_state_dict(ckpt: Mapping) -> dict[str, torch.Tensor]:
    """Descend ``state_dict`` / ``model`` / ``module`` / ``ema`` containers to the tensors."""
    obj = ckpt
    for _ in range(4):
        if not isinstance(obj, Mapping):
            break
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return dict(obj)
        for key in _WRAPPER_KEYS:
            if key in obj and isinstance(obj[key], Mapping):
                obj = obj[key]
                break
        else:
            break
    if isinstance(obj, Mapping):
        tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
        if tensors:
            return tensors
    keys = list(ckpt.keys())[:10] if isinstance(ckpt, Mapping) else type(ckpt).__name__
    raise ValueError(f'no state dict found in checkpoint (top-level keys: {keys}); '
                     f'expected tensors, possibly under one of {_WRAPPER_KEYS}')
