"""``point_nn/features``: Point-NN feature extraction speed on CPU.

    python tools/benchmark.py point_nn/features [--num-clouds 2468] [--batches 3]
        [--batch-size 16] [--points 1024] [--threads 1] [--baseline-batches 1]

Runs ``--batches`` batches of Gaussian, unit-sphere-normalised clouds (the fixture
README's timing setup), extrapolates to ``--num-clouds`` (ModelNet40 test: 2468 clouds
= 155 batches) and compares with the official pipeline's CPU anchor (8.63 s per batch
of 16, 1338.4 s in total, measured on this workplace's 2-core machine). With
``--baseline-batches > 0`` it also times :func:`naive_point_nn_features` (the official
op sequence on (B, C, G, K) tensors, with our FPS) under the same load, because the
shared machine's speed varies.
"""
from __future__ import annotations

import argparse
import math
import time

import torch
import torch.nn.functional as F

from mmvideofm.engine.benchmark import register_benchmark
from mmvideofm.ops import furthest_point_sample, gather_points, knn

from .models.point_nn import PointNNEncoder
from .models.pos_embed import pos_embed

__all__ = ['naive_point_nn_features', 'benchmark_features', 'OFFICIAL_ANCHOR']

OFFICIAL_ANCHOR = dict(seconds_per_batch16=8.63, total_seconds_2468=1338.4, threads=2)


@torch.no_grad()
def naive_point_nn_features(xyz: torch.Tensor, num_stages: int = 4, embed_dim: int = 72,
                            k: int = 90, alpha: float = 1000, beta: float = 100) -> torch.Tensor:
    """Unchunked Point-NN following the official op order on (B, C, G, K) tensors.

    A reference (tests compare the chunked encoder with it) and the same-load baseline.
    """
    B, N, _ = xyz.shape
    x = pos_embed(xyz, embed_dim, alpha, beta).permute(0, 2, 1)  # (B, C, N)
    out_dim = embed_dim
    for _ in range(num_stages):
        out_dim *= 2
        fps_idx = furthest_point_sample(xyz, xyz.shape[1] // 2)
        xt = x.permute(0, 2, 1)
        lc_xyz, lc_x = gather_points(xyz, fps_idx), gather_points(xt, fps_idx)
        idx = knn(k, xyz, lc_xyz)
        knn_xyz, knn_x = gather_points(xyz, idx), gather_points(xt, idx)  # (B, G, K, .)
        dx = knn_x - lc_x.unsqueeze(-2)
        dxyz = knn_xyz - lc_xyz.unsqueeze(-2)
        dx = dx / (torch.std(dx) + 1e-5)
        dxyz = dxyz / (torch.std(dxyz) + 1e-5)
        G, K, C = dx.shape[1:]
        feat = torch.cat([dx, lc_x.unsqueeze(2).repeat(1, 1, K, 1)], -1).permute(0, 3, 1, 2)
        pe = pos_embed(dxyz, out_dim, alpha, beta).permute(0, 3, 1, 2)  # (B, C, G, K)
        w = (feat + pe) * pe
        pooled = w.max(-1)[0] + w.mean(-1)
        x = F.gelu(pooled / math.sqrt(1 + 1e-5))
        xyz = lc_xyz
    return x.max(-1)[0] + x.mean(-1)


def _clouds(n: int, points: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    xyz = torch.randn(n, points, 3, generator=g)
    xyz = xyz - xyz.mean(1, keepdim=True)
    return xyz / xyz.norm(dim=-1).amax(1).view(n, 1, 1)


def _time(fn, xyz: torch.Tensor, batches: int, bs: int) -> list[float]:
    times = []
    for b in range(batches):
        batch = xyz[b * bs:(b + 1) * bs]
        t = time.perf_counter()
        fn(batch)
        times.append(time.perf_counter() - t)
    return times


@register_benchmark('point_nn/features')
def benchmark_features(argv: list[str]) -> dict:
    p = argparse.ArgumentParser(prog='point_nn/features')
    p.add_argument('--num-clouds', type=int, default=2468)
    p.add_argument('--batches', type=int, default=3, help='batches actually timed')
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--points', type=int, default=1024)
    p.add_argument('--k', type=int, default=90, help='kNN size (the run script: 90)')
    p.add_argument('--threads', type=int, default=1,
                   help='torch threads (default 1: on a shared 2-core machine a second '
                        'OpenMP thread stalls on the busy core; 0 keeps torch\'s setting)')
    p.add_argument('--baseline-batches', type=int, default=1)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    bs = args.batch_size
    xyz = _clouds(bs * max(args.batches, args.baseline_batches), args.points, args.seed)
    enc = PointNNEncoder(input_points=args.points, k_neighbors=args.k).eval()
    with torch.no_grad():
        enc(xyz[:2])  # warm-up
        ours = _time(enc, xyz, args.batches, bs)
    full, last = divmod(args.num_clouds, bs)
    per_batch = sorted(ours)[len(ours) // 2]  # median
    total = per_batch * (full + last / bs)  # the last batch scales ~linearly with its size
    out = dict(device='cpu', threads=torch.get_num_threads(), batch_size=bs,
               points=args.points, batches_timed=args.batches, seconds_per_batch=ours,
               median_seconds_per_batch=per_batch,
               extrapolated_total_seconds=total, num_clouds=args.num_clouds,
               official_anchor=OFFICIAL_ANCHOR,
               speedup_vs_official_anchor=OFFICIAL_ANCHOR['seconds_per_batch16'] / per_batch
               if bs == 16 and args.points == 1024 else None,
               method=('median of timed batches x (full batches + last/bs); '
                       'extrapolated from a subset, data loading excluded'))
    if args.baseline_batches > 0:
        base = _time(lambda b: naive_point_nn_features(b, k=args.k), xyz, args.baseline_batches, bs)
        out.update(naive_seconds_per_batch=base,
                   speedup_vs_naive_same_load=min(base) / per_batch)
    return out
