"""Plugins: one package per paper; importing a plugin registers its types, converters and
benchmarks in the mmvideofm registries (the core never imports a plugin)."""
from __future__ import annotations

import importlib
import os
import os.path as osp
import warnings

__all__ = ['plugin_names', 'import_plugins']


def plugin_names() -> list[str]:
    """Names of the plugin packages under ``projects/`` (folders with an ``__init__.py``)."""
    here = osp.dirname(osp.abspath(__file__))
    return sorted(d for d in os.listdir(here) if not d.startswith(('_', '.'))
                  and osp.isfile(osp.join(here, d, '__init__.py')))


def import_plugins() -> dict[str, str]:
    """Import every plugin so its registrations run; returns ``{plugin: error}`` for the
    ones that failed to import (each is also warned about)."""
    failed = {}
    for name in plugin_names():
        try:
            importlib.import_module(f'{__name__}.{name}')
        except Exception as err:  # noqa: BLE001 - one broken plugin must not hide the others
            failed[name] = f'{type(err).__name__}: {err}'
            warnings.warn(f'plugin projects.{name} failed to import ({failed[name]}); '
                          f'its converters and benchmarks are not available', stacklevel=2)
    return failed
