"""Benchmark registry: plugins add named benchmarks that ``tools/benchmark.py`` runs.

A benchmark is ``fn(argv: list[str]) -> dict`` returning measured numbers; the
tool prints them as JSON. Names are ``<plugin>/<name>``; the tool imports
``projects.<plugin>`` to register them.
"""
from __future__ import annotations

from collections.abc import Callable

BenchmarkFn = Callable[[list[str]], dict]
BENCHMARKS: dict[str, BenchmarkFn] = {}


def register_benchmark(name: str) -> Callable[[BenchmarkFn], BenchmarkFn]:
    def wrap(fn: BenchmarkFn) -> BenchmarkFn:
        BENCHMARKS[name] = fn
        return fn

    return wrap


def official_finetune_vit(path: str, arch: str, frames: int, img_size: int, tubelet_size: int,
                          num_classes: int = 400):
    """Build an official ``modeling_finetune.VisionTransformer`` (VideoMAE V2 / UMT layout) of
    a :class:`VideoViT` size preset, from a checkout kept OUTSIDE this repository.

    For timing comparisons only; nothing official is vendored.
    """
    import importlib.util
    import os
    import sys
    from functools import partial

    from torch import nn

    from mmvideofm.models.backbones import VideoViT
    if not os.path.isfile(path):
        raise FileNotFoundError(f'official model definition not found: {path!r}')
    name = f'_official_finetune_{abs(hash(path))}'
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    cfg = VideoViT.arch_zoo[arch]
    return mod.VisionTransformer(
        img_size=img_size, patch_size=cfg['patch_size'], embed_dim=cfg['embed_dim'],
        depth=cfg['depth'], num_heads=cfg['num_heads'], mlp_ratio=cfg['mlp_ratio'],
        qkv_bias=True, norm_layer=partial(nn.LayerNorm, eps=1e-6), all_frames=frames,
        tubelet_size=tubelet_size, num_classes=num_classes, use_mean_pooling=True)
