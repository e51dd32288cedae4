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
           'speedup', 'device_sync', 'compare_vit_forward', 'official_finetune_vit',
           'load_official_module']

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
    name, the wall seconds of every call and their median, min and max, and the same for
    the process CPU time (``cpu_*``: steadier than wall time on a shared machine when the
    work runs on one thread).
    """
    if iters < 1:
        raise ValueError(f'iters must be >= 1, got {iters}')
    sync = sync or (lambda: None)
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for i in range(iters):
        for name in (names if i % 2 == 0 else names[::-1]):
            sync()
            start, start_cpu = time.perf_counter(), time.process_time()
            fns[name]()
            sync()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return {name: dict(seconds=wall[name], median=statistics.median(wall[name]),
                       min=min(wall[name]), max=max(wall[name]), cpu_seconds=cpu[name],
                       cpu_median=statistics.median(cpu[name]), cpu_min=min(cpu[name]),
                       cpu_max=max(cpu[name]))
            for name in names}


def speedup(stats: dict[str, dict], baseline: str = 'official', ours: str = 'ours',
            prefix: str = '') -> dict:
    """``baseline`` time over ``ours`` (> 1: ours is faster): of the medians, and the range
    from the least to the most favourable pairing of the min-max spreads (``prefix='cpu_'``:
    of the CPU times)."""
    b, o = stats[baseline], stats[ours]
    return {k: b[prefix + kb] / o[prefix + ko]
            for k, kb, ko in (('median', 'median', 'median'), ('low', 'min', 'max'),
                              ('high', 'max', 'min'))}


def device_sync(device: str) -> Callable[[], None] | None:
    """``torch.cuda.synchronize`` for CUDA devices (timings end when the kernels do)."""
    import torch
    return torch.cuda.synchronize if str(device).startswith('cuda') else None


def compare_vit_forward(ours, official, video, iters: int, warmup: int = 1,
                        atol: float = 1e-4, rtol: float = 1e-4) -> dict:
    """fp32 inference of our ViT (``forward_features`` + ``forward_head(pre_logits=True)``)
    and, if given, an official fine-tune ``VisionTransformer`` with the same weights, timed
    by :func:`time_interleaved`.

    Equality is checked on the pooled features (``fc_norm`` output), not on logits, which a
    0.001-scaled head init would shrink below any tolerance; a mismatch raises.
    """
    import torch
    result: dict = {}
    fns = {'ours': lambda: ours(video)}
    if official is not None:
        fns['official'] = lambda: official(video)
        with torch.no_grad():
            mine = ours.forward_head(ours.forward_features(video), pre_logits=True)
            theirs = official.forward_features(video)
        diff = float((mine - theirs).abs().max())
        if mine.shape != theirs.shape or not torch.allclose(mine, theirs, rtol=rtol, atol=atol):
            raise RuntimeError(f'pooled features of ours and the official model differ (max '
                               f'abs diff {diff:.3g}); a timing comparison would be meaningless')
        result['features_max_abs_diff'] = diff
    with torch.no_grad():
        stats = time_interleaved(fns, iters, warmup, device_sync(str(video.device)))
    for name, st in stats.items():
        result[name] = dict(st, clips_per_s=video.shape[0] / st['median'])
    if official is not None:
        result['speedup_vs_official'] = speedup(stats, 'official', 'ours')
        if video.device.type == 'cpu':
            result['speedup_vs_official_cpu_time'] = speedup(stats, 'official', 'ours', 'cpu_')
    return result


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
