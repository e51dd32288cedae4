"""Converter framework: plugins register ``official state dict -> ours`` functions.

``tools/convert_checkpoint.py <plugin> IN OUT`` imports ``projects.<plugin>`` (which
registers its converters) and dispatches here.
"""
from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable

import torch
from torch import nn

__all__ = ['CONVERTERS', 'register_converter', 'get_converter', 'rename_keys',
           'load_state_dict_checked', 'StateDictMismatchError']

ConverterFn = Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]
CONVERTERS: dict[str, ConverterFn] = {}


def register_converter(name: str) -> Callable[[ConverterFn], ConverterFn]:
    """Register ``fn(state_dict) -> state_dict`` under a plugin name (e.g. ``'umt'``)."""

    def wrap(fn: ConverterFn) -> ConverterFn:
        if name in CONVERTERS and CONVERTERS[name] is not fn:
            raise KeyError(f'converter {name!r} is already registered by '
                           f'{CONVERTERS[name].__module__}')
        CONVERTERS[name] = fn
        return fn

    return wrap


def get_converter(name: str) -> ConverterFn:
    """Return the converter of a plugin, importing ``projects.<plugin>`` on demand."""
    plugin = name.split('/')[0]
    if name not in CONVERTERS:
        try:
            importlib.import_module(f'projects.{plugin}')
        except ModuleNotFoundError as err:
            if err.name and err.name.startswith('projects'):
                pass
            else:
                raise
    if name not in CONVERTERS:
        import difflib
        near = difflib.get_close_matches(name, CONVERTERS, n=3)
        raise KeyError(f'no checkpoint converter named {name!r}; registered: '
                       f'{sorted(CONVERTERS)}' + (f' (did you mean {near}?)' if near else ''))
    return CONVERTERS[name]


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
        hint = (f'convert official weights first: python tools/convert_checkpoint.py '
                f'{converter_hint} IN OUT' if converter_hint else
                'if this is an official checkpoint, convert it with '
                'tools/convert_checkpoint.py <plugin> IN OUT')
        lines.append(f'  hint: {hint}')
        raise StateDictMismatchError('\n'.join(lines))
    model.load_state_dict(state_dict, strict=strict)
    return missing, unexpected
