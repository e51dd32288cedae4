"""Benchmark registry and side-by-side timing helpers for ``tools/benchmark.py``.

A benchmark is ``fn(argv: list[str]) -> dict`` returning measured numbers; the tool
prints them as JSON. Benchmarks live in :data:`mmvideofm.registry.BENCHMARKS` under
``<plugin>/<name>``; plugins register theirs on import and the tool imports every plugin.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from types import ModuleType

from mmvideofm.checkpoint.convert import check_registry_name, lookup_registered, register_function
from mmvideofm.registry import BENCHMARKS

__all__ = ['BENCHMARKS', 'register_benchmark', 'get_benchmark', 'time_interleaved',
           'speedup', 'official_finetune_vit', 'load_official_module']

BenchmarkFn = Callable[[list[str]], dict]


def register_benchmark(name: str) -> Callable[[BenchmarkFn], BenchmarkFn]:
    """Register ``fn(argv) -> dict`` in ``BENCHMARKS`` as ``'<plugin>/<name>'``."""
    check_registry_name(name, 'benchmark')
    return lambda fn: register_function(BENCHMARKS, name, fn, 'benchmark')


def get_benchmark(name: str) -> BenchmarkFn:
    """The registered benchmark ``name``; KeyError naming the registered ones otherwise."""
    return lookup_registered(BENCHMARKS, name, 'benchmark')


def time_interleaved(fns: dict[str, Callable[[], object]], iters: int, warmup: int = 1,
                     sync: Callable[[], None] | None = None) -> dict[str, dict]:
    """Time each zero-argument callable ``iters`` times, interleaved in one process.

    Repetition ``i`` runs the callables in the given order when ``i`` is even and in reverse
    when odd, so machine-load drift and cache effects hit every side alike. Returns, per
    name, the seconds of every call and their median, min and max.
    """
    if iters < 1:
        raise ValueError(f'iters must be >= 1, got {iters}')
    sync = sync or (lambda: None)
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for i in range(iters):
        for name in (names if i % 2 == 0 else names[::-1]):
            sync()
            start = time.perf_counter()
            fns[name]()
            sync()
            seconds[name].append(time.perf_counter() - start)
    return {name: dict(seconds=s, median=statistics.median(s), min=min(s), max=max(s))
            for name, s in seconds.items()}


def speedup(stats: dict[str, dict], baseline: str = 'official', ours: str = 'ours') -> dict:
    """``baseline`` time over ``ours`` (> 1: ours is faster): of the medians, and the range
    from the least to the most favourable pairing of the min-max spreads."""
    b, o = stats[baseline], stats[ours]
    return dict(median=b['median'] / o['median'], low=b['min'] / o['max'],
                high=b['max'] / o['min'])


def load_official_module(path: str, module: str | None = None,
                         stubs: dict[str, ModuleType] | None = None) -> ModuleType:
    """Import official code from a checkout kept OUTSIDE this repository (timing only).

    Args:
        path: a ``.py`` file, or a package directory whose submodule ``module`` is
            imported (relative imports work; the package's ``__init__`` is not run).
        module: the submodule to import when ``path`` is a directory.
        stubs: modules placed in ``sys.modules`` while importing (e.g. a CPU stand-in for
            a CUDA-only extension); removed afterwards.
    """
    import importlib
    import importlib.util
    import os
    import sys
    name = f'_official_{abs(hash(os.path.abspath(path)))}'
    if os.path.isdir(path):
        if not module or not os.path.isfile(os.path.join(path, f'{module}.py')):
            raise FileNotFoundError(f'official module {module!r} not found under {path!r}')
    elif not os.path.isfile(path):
        raise FileNotFoundError(f'official model definition not found: {path!r}')
    saved = {k: sys.modules.get(k) for k in (stubs or {})}
    sys.modules.update(stubs or {})
    try:
        if os.path.isdir(path):
            pkg = ModuleType(name)
            pkg.__path__ = [os.path.abspath(path)]
            sys.modules[name] = pkg
            return importlib.import_module(f'{name}.{module}')
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        return mod
    finally:
        for key, old in saved.items():
            if old is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = old


def official_finetune_vit(path: str, arch: str, frames: int, img_size: int, tubelet_size: int,
                          num_classes: int = 400):
    """Build an official ``modeling_finetune.VisionTransformer`` (VideoMAE V2 / UMT layout) of
    a :class:`VideoViT` size preset, from a checkout kept OUTSIDE this repository.

    For timing comparisons only; nothing official is vendored.
    """
    from functools import partial

    from torch import nn

    from mmvideofm.models.backbones import VideoViT
    mod = load_official_module(path)
    cfg = VideoViT.arch_zoo[arch]
    return mod.VisionTransformer(
        img_size=img_size, patch_size=cfg['patch_size'], embed_dim=cfg['embed_dim'],
        depth=cfg['depth'], num_heads=cfg['num_heads'], mlp_ratio=cfg['mlp_ratio'],
        qkv_bias=True, norm_layer=partial(nn.LayerNorm, eps=1e-6), all_frames=frames,
        tubelet_size=tubelet_size, num_classes=num_classes, use_mean_pooling=True)
