"""Let ``--cfg-options data_root=...`` reach the paths a config built from ``data_root``.

mmengine evaluates a config file when it reads it, so ``ann_file=f'{data_root}/train.txt'``
is a finished string before any override is merged: overriding the top-level variable
alone changes nothing the runner reads. :func:`propagate_path_overrides` closes that gap
for path variables: where the config holds the variable's old value, or a path under it,
the new value takes its place (``data/synthetic/direction/train.txt`` ->
``/data/mine/train.txt``). Keys the user overrides explicitly are left as given.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mmvideofm.engine.config_check import RUNNER_KEYS

__all__ = ['propagate_path_overrides']

PATH_NAME = re.compile(r'(root|dir|file|path|prefix)', re.IGNORECASE)


def _strings(node: Any, path: str) -> Iterator[tuple[str, Any, Any, str]]:
    """``(dotted key, container, key or index, value)`` of every string under ``node``."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for k, v in items:
        p = f'{path}.{k}' if path else str(k)
        if isinstance(v, str):
            yield p, node, k, v
        elif isinstance(v, (dict, list)):
            yield from _strings(v, p)


def _moved(value: str, old: str, new: str) -> str | None:
    """``value`` with the path prefix ``old`` replaced by ``new`` (None: not under ``old``)."""
    base = old.rstrip('/')
    if value == old or value == base:
        return new
    if value.startswith(base + '/'):
        return new.rstrip('/') + value[len(base):]
    return None


def propagate_path_overrides(cfg: Any, options: dict[str, Any]) -> dict[str, str]:
    """Rewrite, in ``cfg`` (before ``options`` are merged), the paths built from overridden variables.

    A top-level option whose old and new values are strings and whose old value looks
    like a path (contains ``/``, or the name has root/dir/file/path/prefix in it) is a
    path variable; every string in the config equal to its old value or under it is
    rewritten, longest old value first. Dotted keys the user sets in ``options`` win.

    Returns:
        ``{dotted key: new value}`` of what was rewritten.
    """
    subs = {}
    for key, new in options.items():
        old = cfg.get(key) if '.' not in key else None
        if (key in RUNNER_KEYS or key == 'model_wrapper_cfg' or not isinstance(new, str) or not isinstance(old, str)
                or not old or old == new or not ('/' in old or PATH_NAME.search(key))):
            continue
        subs[key] = (old, new)
    if not subs:
        return {}
    by_old: dict[str, list[str]] = {}
    for key, (old, _) in subs.items():
        by_old.setdefault(old, []).append(key)
    for old, keys in by_old.items():
        if len({subs[k][1] for k in keys}) > 1:
            raise ValueError(f'--cfg-options {" and ".join(keys)} had the same value {old!r} in '
                             'the config, so the paths built from them cannot be told apart; '
                             'set the dataset keys instead, e.g. '
                             'train_dataloader.dataset.data_prefix.video=... '
                             'val_dataloader.dataset.data_prefix.video=...')
    explicit = [k for k in options if '.' in k]
    olds = sorted(subs.values(), key=lambda on: len(on[0]), reverse=True)
    changed = {}
    top = {k: cfg[k] for k in cfg.keys() if k not in subs}
    for name, value in top.items():
        if isinstance(value, str):  # a variable derived from another (data_root_val = ...)
            found = [(name, cfg, name, value)]
        elif isinstance(value, (dict, list)):
            found = _strings(value, name)
        else:
            continue
        for dotted, node, k, text in found:
            if dotted in options or any(dotted.startswith(e + '.') for e in explicit):
                continue
            for old, new in olds:
                moved = _moved(text, old, new)
                if moved is not None:
                    node[k] = changed[dotted] = moved
                    break
    return changed
