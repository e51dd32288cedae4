"""Check a config before the runner builds it, so mistakes get named early.

mmengine silently ignores unknown top-level keys and reports an unknown type as a
bare ``KeyError``. ``check_config`` names the offending key or type, where it
sits in the config, and the nearest valid names; ``check_overrides`` does the same
for ``--cfg-options`` keys that are near misses of keys the config already has.
"""
from __future__ import annotations

import difflib
import inspect
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

from mmengine.registry import Registry

__all__ = ['ConfigError', 'check_config', 'check_overrides', 'check_init_checkpoints', 'RUNNER_KEYS']

# Keys ``Runner.from_cfg`` reads; a near miss of one of these is almost surely a typo.
RUNNER_KEYS = (
    'model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg',
    'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler', 'val_evaluator',
    'test_evaluator', 'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level', 'visualizer',
    'default_scope', 'randomness', 'experiment_name', 'cfg', 'custom_imports', 'strategy')

# Arguments the runner takes out of a node before building its type (mmengine 0.10.7:
# ``build_optim_wrapper`` pops ``constructor`` / ``paramwise_cfg``; ``_build_param_scheduler``
# pops ``convert_to_iter_based``), keyed by the top-level config key the node sits under.
RUNNER_CONSUMED = {
    'optim_wrapper': {'constructor', 'paramwise_cfg'},
    'param_scheduler': {'convert_to_iter_based'},
}

# Loops built without a ``type`` (mmengine ``Runner.build_*_loop``).
_TYPELESS_LOOPS = {'val_cfg': 'ValLoop', 'test_cfg': 'TestLoop'}


class ConfigError(ValueError):
    """A config names something that does not exist."""


def _registries() -> list[Registry]:
    """Ours (children of mmaction2's, so those are searched too), then mmengine's roots
    that have no mmvideofm child (e.g. ``STRATEGIES`` for ``FlexibleRunner``)."""
    from mmengine.registry import root

    from mmvideofm import registry as reg
    ours = [v for v in vars(reg).values() if isinstance(v, Registry)]
    roots = [v for v in vars(root).values() if isinstance(v, Registry)]
    return ours + [r for r in roots if not any(o.name == r.name for o in ours)]


def _walk(obj: Any, path: str) -> Iterator[tuple[str, Mapping]]:
    if isinstance(obj, Mapping):
        if isinstance(obj.get('type'), str):
            yield path, obj
        for key, value in obj.items():
            yield from _walk(value, f'{path}.{key}' if path else str(key))
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _walk(value, f'{path}[{i}]')


def _all_names(registries: list[Registry]) -> set[str]:
    names: set[str] = set()
    for r in registries:
        node: Registry | None = r
        while node is not None:
            try:
                node.import_from_location()
            except ImportError:  # e.g. mmaction's FUNCTION registry points at a missing module
                pass
            names.update(node.module_dict)
            node = node.parent
    return names


def _lookup(type_name: str, registries: list[Registry]):
    for r in registries:
        try:
            obj = r.get(type_name)
        except Exception:  # noqa: BLE001 - a registry that cannot import its locations
            obj = None
        if obj is not None:
            return obj
    return None


def _params(fn) -> tuple[set[str], bool] | None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    names = {n for n, p in sig.parameters.items()
             if n != 'self' and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    return names, any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())


def _accepted_args(obj) -> tuple[set[str], bool] | None:
    """Keyword names ``obj`` accepts and whether that is certain (no ``**kwargs`` involved).

    ``**kwargs`` are followed up the MRO (usually they go to ``super().__init__``); the
    result is then only probable. None when the set is open-ended.
    """
    if not inspect.isclass(obj):
        found = _params(obj)
        return None if found is None or found[1] else (found[0], True)
    accepted: set[str] = set()
    certain = True
    for klass in obj.__mro__:
        if '__init__' not in vars(klass):
            continue
        if klass.__module__.startswith(('torch.', 'builtins')):
            return None  # kwargs end up in nn.Module / object: cannot tell
        found = _params(vars(klass)['__init__'])
        if found is None:
            return None
        accepted |= found[0]
        if not found[1]:
            return accepted, certain
        certain = False
    return None


def _as_dict(cfg: Any) -> Mapping:
    """A plain dict of an mmengine ``Config`` (which is not a ``Mapping``)."""
    return cfg.to_dict() if hasattr(cfg, 'to_dict') and not isinstance(cfg, Mapping) else cfg


def _with_loop_types(cfg: Mapping) -> dict:
    """Give typeless ``train_cfg`` / ``val_cfg`` / ``test_cfg`` the loop the runner builds."""
    cfg = dict(cfg)
    train = cfg.get('train_cfg')
    if isinstance(train, Mapping) and 'type' not in train:
        loop = 'EpochBasedTrainLoop' if train.get('by_epoch', True) else 'IterBasedTrainLoop'
        cfg['train_cfg'] = {k: v for k, v in train.items() if k != 'by_epoch'} | {'type': loop}
    for key, loop in _TYPELESS_LOOPS.items():
        node = cfg.get(key)
        if isinstance(node, Mapping) and 'type' not in node:
            cfg[key] = dict(node, type=loop)
    return cfg


def check_overrides(cfg: Any, options: Mapping[str, Any] | None) -> None:
    """Raise :class:`ConfigError` for ``--cfg-options`` keys that are near misses.

    Checked against ``cfg`` *before* the options are merged: a dotted key whose first
    missing part is close to a key that exists at that level (``trian_cfg`` next to
    ``train_cfg``, ``batch_sise`` next to ``batch_size``) is a typo; a new key with no
    near name (a new hook, a new argument) is allowed. Arguments of typed nodes are
    checked by :func:`check_config` after the merge.
    """
    cfg = _as_dict(cfg)
    errors = []
    for option in options or {}:
        node: Any = cfg
        path: list[str] = []
        for part in str(option).split('.'):
            if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
                node, path = node[int(part)], path + [part]
                continue
            if not isinstance(node, Mapping) or part in node:
                if not isinstance(node, Mapping):
                    break
                node, path = node[part], path + [part]
                continue
            if not path and part in RUNNER_KEYS:
                break
            if 'type' in node and path:
                break  # an argument of a typed node: check_config decides
            choices = [str(k) for k in node] + ([] if path else list(RUNNER_KEYS))
            near = difflib.get_close_matches(part, choices, n=1, cutoff=0.8)
            if near:
                where = '.'.join(path + [part])
                errors.append(f'--cfg-options {option}: the config has no key {where!r}; '
                              f'did you mean {".".join(path + [near[0]])!r}?')
            break
    if errors:
        raise ConfigError('invalid --cfg-options:\n  ' + '\n  '.join(errors))


def check_config(cfg: Any) -> None:
    """Raise :class:`ConfigError` for a misspelt runner key, unknown type or argument.

    ``cfg`` is a dict or an mmengine ``Config`` (checked through ``to_dict()``).
    """
    from mmengine.registry import DefaultScope
    cfg = _with_loop_types(_as_dict(cfg))
    errors: list[str] = []
    for key in cfg:
        if key in RUNNER_KEYS:
            continue
        near = difflib.get_close_matches(key, RUNNER_KEYS, n=1, cutoff=0.85)
        if near and near[0] not in cfg:
            errors.append(f'unknown config key {key!r}: did you mean {near[0]!r}?')
    registries = _registries()
    scope = cfg.get('default_scope', 'mmvideofm') or 'mmvideofm'
    with DefaultScope.overwrite_default_scope(scope):
        names = None
        for path, node in _walk(cfg, ''):
            type_name = node['type']
            obj = _lookup(type_name, registries)
            if obj is None:
                names = names if names is not None else _all_names(registries)
                bare = type_name.split('.')[-1]
                near = difflib.get_close_matches(bare, names, n=3, cutoff=0.6)
                hint = f'; nearest registered names: {near}' if near else ''
                errors.append(f'{path}.type={type_name!r} is not registered in any mmvideofm/'
                              f'mmaction2/mmengine registry{hint}. If it lives in a plugin, '
                              f'add it to custom_imports.')
                continue
            found = _accepted_args(obj)
            if found is None:
                continue
            accepted, certain = found
            consumed = RUNNER_CONSUMED.get(path.split('.')[0].split('[')[0], set())
            for arg in node:
                if arg == 'type' or arg in accepted or arg in consumed:
                    continue
                near = difflib.get_close_matches(arg, accepted, n=3, cutoff=0.6)
                hint = f'; did you mean {near}?' if near else f'; it accepts {sorted(accepted)}'
                msg = f'{path}.{arg}: {type_name} has no argument {arg!r}{hint}'
                if certain:
                    errors.append(msg)
                else:  # passed through **kwargs: probably wrong, but the class may consume it
                    warnings.warn(msg + ' (it takes **kwargs, so this is only a warning)',
                                  stacklevel=2)
    if errors:
        raise ConfigError('invalid config:\n  ' + '\n  '.join(errors))


def _init_cfgs(obj: Any, path: str) -> Iterator[tuple[str, Mapping]]:
    """``(cfg-options path, init_cfg)`` for every ``init_cfg`` dict under ``obj``."""
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            sub = f'{path}.{key}' if path else str(key)
            if key == 'init_cfg':
                items = value if isinstance(value, (list, tuple)) else [value]
                for i, item in enumerate(items):
                    if isinstance(item, Mapping):
                        yield (f'{sub}.{i}' if isinstance(value, (list, tuple)) else sub), item
            else:
                yield from _init_cfgs(value, sub)
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _init_cfgs(value, f'{path}.{i}')


def check_init_checkpoints(cfg: Any) -> None:
    """Raise ``FileNotFoundError`` naming the config key of every missing local
    ``init_cfg.checkpoint`` (pretrained weights), with the ``--cfg-options`` that fixes it."""
    import os.path as osp
    missing = []
    for path, init in _init_cfgs(_as_dict(cfg).get('model'), 'model'):
        ckpt = init.get('checkpoint')
        if isinstance(ckpt, str) and '://' not in ckpt and not osp.isfile(osp.expanduser(ckpt)):
            missing.append(f'{path}.checkpoint={ckpt!r}')
    if missing:
        first = missing[0].split('=')[0]
        raise FileNotFoundError(
            'pretrained weights not found: ' + ', '.join(missing) + '. Convert or download '
            f'them there, or point the config at your copy: --cfg-options {first}=PATH '
            f'(when resuming or using load_from, --cfg-options {first.rsplit(".", 1)[0]}=None '
            f'skips the initialisation)')
