"""Converter framework: plugins register ``official state dict -> ours`` functions.

Converters live in :data:`mmvideofm.registry.CONVERTERS` under ``<plugin>[/<variant>]``;
a plugin registers its own on import (the core never imports a plugin).
``tools/convert_checkpoint.py`` imports every plugin under ``projects/`` and dispatches here.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable

import torch
from torch import nn

from mmvideofm.registry import CONVERTERS

__all__ = ['CONVERTERS', 'register_converter', 'get_converter', 'rename_keys',
           'load_state_dict_checked', 'StateDictMismatchError', 'check_registry_name', 'register_function',
           'lookup_registered']

ConverterFn = Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]


def check_registry_name(name: str, kind: str) -> str:
    """Refuse names mmengine would misread: ``'a.b'`` is looked up as ``b`` in scope ``a``."""
    if not isinstance(name, str) or not name or '.' in name:
        raise ValueError(f'{kind} name {name!r} must be a non-empty string without "." '
                         f'(mmengine reads "scope.name"); use "<plugin>/<variant>"')
    return name


def register_function(registry, name: str, fn: Callable, kind: str) -> Callable:
    check_registry_name(name, kind)
    existing = registry.module_dict.get(name)
    if existing is None:
        registry.register_module(name=name, module=fn)
    elif existing is not fn:
        raise KeyError(f'{kind} {name!r} is already registered by {existing.__module__}')
    return fn


def lookup_registered(registry, name: str, kind: str) -> Callable:
    """``registry``'s entry ``name`` (exact key, no import-path fallback) or a KeyError that
    lists what is registered and the closest names."""
    fn = registry.module_dict.get(name)
    if fn is not None:
        return fn
    known = sorted(registry.module_dict)
    near = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    raise KeyError(f'no {kind} named {name!r}' + (f' (did you mean {near}?)' if near else '')
                   + f'. Registered: {known}. Plugins register theirs on import '
                   f'(tools import every package under projects/; in Python, '
                   f'"import projects.<plugin>" first)')


def register_converter(name: str) -> Callable[[ConverterFn], ConverterFn]:
    """Register ``fn(state_dict) -> state_dict`` in ``CONVERTERS`` (e.g. ``'umt'``)."""
    check_registry_name(name, 'checkpoint converter')
    return lambda fn: register_function(CONVERTERS, name, fn, 'checkpoint converter')


def get_converter(name: str) -> ConverterFn:
    """The registered converter ``name``; KeyError naming the registered ones otherwise."""
    return lookup_registered(CONVERTERS, name, 'checkpoint converter')


def rename_keys(state_dict: dict[str, torch.Tensor],
                rules: Iterable[tuple[str, str]]) -> dict[str, torch.Tensor]:
    """Apply ordered ``(regex, replacement)`` rules to every key; first match wins."""
    rules = [(re.compile(p), r) for p, r in rules]
    out = {}
    for key, value in state_dict.items():
        new = key
        for pat, rep in rules:
            if pat.search(key):
                new = pat.sub(rep, key)
                break
        if new in out:
            raise KeyError(f'two checkpoint keys map to {new!r} (one is {key!r})')
        out[new] = value
    return out


class StateDictMismatchError(RuntimeError):
    """Checkpoint keys do not match the model's."""


def load_state_dict_checked(model: nn.Module, state_dict: dict[str, torch.Tensor],
                            strict: bool = True, converter_hint: str | None = None,
                            max_listed: int = 20) -> tuple[list[str], list[str]]:
    """``load_state_dict`` that names missing/unexpected/mis-shaped keys and the fix."""
    own = model.state_dict()
    # keys a model may leave out of state_dict() but loads (an algorithm's frozen teacher)
    optional = tuple(getattr(model, 'optional_state_prefixes', ()))
    for prefix in optional:
        own.update(model.get_submodule(prefix.rstrip('.')).state_dict(prefix=prefix))
    shape_errors = [f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
                    for k, v in state_dict.items() if k in own and own[k].shape != v.shape]
    missing = [k for k in own if k not in state_dict and not k.startswith(optional)]
    unexpected = [k for k in state_dict if k not in own]
    if shape_errors or (strict and (missing or unexpected)):
        def fmt(keys):
            head = ', '.join(keys[:max_listed])
            return head + (f', ... (+{len(keys) - max_listed} more)' if len(keys) > max_listed else '')
        lines = [f'checkpoint does not match {type(model).__name__}:']
        if missing:
            lines.append(f'  missing keys ({len(missing)}): {fmt(missing)}')
        if unexpected:
            lines.append(f'  unexpected keys ({len(unexpected)}): {fmt(unexpected)}')
        if shape_errors:
            lines.append(f'  shape mismatches ({len(shape_errors)}): {fmt(shape_errors)}')
        hint = (f'convert official weights first: .venv/bin/python tools/convert_checkpoint.py '
                f'{converter_hint} IN OUT' if converter_hint else
                'if this is an official checkpoint, convert it with '
                'tools/convert_checkpoint.py <plugin> IN OUT')
        lines.append(f'  hint: {hint}')
        raise StateDictMismatchError('\n'.join(lines))
    model.load_state_dict(state_dict, strict=strict)
    return missing, unexpected
