"""``point_nn/features``: Point-NN feature extraction speed on CPU, side by side with the
official model definition.

    .venv/bin/python tools/benchmark.py point_nn/features [--official-root DIR] [--iters 5]
        [--batch-size 16] [--points 1024] [--k 90] [--threads 1] [--num-clouds 2468]

Times our :class:`PointNNEncoder` on a batch of Gaussian, unit-sphere-normalised clouds
(the fixture README's timing setup). With ``--official-root`` (a checkout of
ZrrSkywalker/Point-NN kept OUTSIDE this repository) the official ``Point_NN`` runs in the
same process, on the same batch, at the same thread count: repetitions interleaved with
alternating order, median and min-max of both, their ratio, and the features compared
(the run stops if they differ). Two run-time substitutions make the official code run on
CPU, as for the parity fixtures: its CUDA-only ``pointnet2_ops`` FPS is our CPU emulation
of that kernel (:func:`mmvideofm.ops.furthest_point_sample`, exact indices), and
``Tensor.cuda`` is a no-op while it runs. The median is extrapolated to ``--num-clouds``
(ModelNet40 test: 2468 clouds = 155 batches of 16).
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os.path as osp
import types

import torch
import torch.nn.functional as F

from mmvideofm.engine.benchmark import (
    load_official_module,
    register_benchmark,
    speedup,
    time_interleaved,
)
from mmvideofm.ops import furthest_point_sample, gather_points, knn

from .models.point_nn import PointNNEncoder
from .models.pos_embed import pos_embed

__all__ = ['naive_point_nn_features', 'benchmark_features', 'build_official_point_nn']


@torch.no_grad()
def naive_point_nn_features(xyz: torch.Tensor, num_stages: int = 4, embed_dim: int = 72,
                            k: int = 90, alpha: float = 1000, beta: float = 100) -> torch.Tensor:
    """Unchunked Point-NN following the official op order on (B, C, G, K) tensors.

    A reference: tests compare the chunked encoder with it.
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


@contextlib.contextmanager
def _cuda_is_noop():
    """The official PosE calls ``.cuda()`` on an ``arange``; keep it on the CPU."""
    cuda = torch.Tensor.cuda
    torch.Tensor.cuda = lambda self, *args, **kwargs: self
    try:
        yield
    finally:
        torch.Tensor.cuda = cuda


def build_official_point_nn(official_root: str, points: int, k: int, num_stages: int = 4,
                            embed_dim: int = 72, alpha: float = 1000, beta: float = 100):
    """The official ``Point_NN`` (``models/point_nn.py`` of a checkout), its CUDA FPS
    replaced by our exact CPU emulation. Call it under ``_cuda_is_noop()``."""
    utils = types.ModuleType('pointnet2_ops.pointnet2_utils')
    utils.furthest_point_sample = lambda xyz, m: furthest_point_sample(xyz, m).int()
    pkg = types.ModuleType('pointnet2_ops')
    pkg.pointnet2_utils = utils
    mod = load_official_module(osp.join(official_root, 'models'), 'point_nn',
                               stubs={'pointnet2_ops': pkg, 'pointnet2_ops.pointnet2_utils': utils})
    # keywords: the class defaults swap alpha and beta; these are the run-script values
    return mod.Point_NN(input_points=points, num_stages=num_stages, embed_dim=embed_dim,
                        k_neighbors=k, alpha=alpha, beta=beta).eval()


@register_benchmark('point_nn/features')
def benchmark_features(argv: list[str]) -> dict:
    p = argparse.ArgumentParser(prog='point_nn/features')
    p.add_argument('--official-root', default=None,
                   help='checkout of ZrrSkywalker/Point-NN (outside this repository)')
    p.add_argument('--num-clouds', type=int, default=2468)
    p.add_argument('--iters', type=int, default=5, help='timed repetitions per side')
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--points', type=int, default=1024)
    p.add_argument('--k', type=int, default=90, help='kNN size (the run script: 90)')
    p.add_argument('--threads', type=int, default=1,
                   help='torch threads for both sides (default 1: on a shared 2-core machine '
                        'a second OpenMP thread stalls on the busy core; 0 keeps torch\'s)')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    bs = args.batch_size
    xyz = _clouds(bs, args.points, args.seed)
    enc = PointNNEncoder(input_points=args.points, k_neighbors=args.k).eval()
    fns = {'ours': lambda: enc(xyz)}
    out = dict(device='cpu', threads=torch.get_num_threads(), batch_size=bs,
               points=args.points, k=args.k, iters=args.iters)
    if args.official_root:
        official = build_official_point_nn(args.official_root, args.points, args.k)

        def run_official():
            with _cuda_is_noop():
                return official(xyz.permute(0, 2, 1))  # the run script's (B, 3, N) input

        fns['official'] = run_official
        with torch.no_grad():
            ours_feat, off_feat = enc(xyz), run_official()
        diff = float((ours_feat - off_feat).abs().max())
        if ours_feat.shape != off_feat.shape or not torch.allclose(ours_feat, off_feat,
                                                                   rtol=1e-5, atol=1e-5):
            raise RuntimeError(f'features of ours and the official Point_NN differ (max abs '
                               f'diff {diff:.3g}); a timing comparison would be meaningless')
        out['features_max_abs_diff'] = diff
    with torch.no_grad():
        stats = time_interleaved(fns, args.iters, args.warmup)
    for name, st in stats.items():
        out[name] = dict(seconds_per_batch=st['seconds'], median=st['median'], min=st['min'],
                         max=st['max'], cpu_seconds_per_batch=st['cpu_seconds'],
                         cpu_median=st['cpu_median'], cpu_min=st['cpu_min'],
                         cpu_max=st['cpu_max'])
    full, last = divmod(args.num_clouds, bs)
    out.update(num_clouds=args.num_clouds,
               extrapolated_total_seconds=stats['ours']['median'] * (full + last / bs))
    if 'official' in stats:
        out['speedup_vs_official'] = speedup(stats, 'official', 'ours')
        out['speedup_vs_official_cpu_time'] = speedup(stats, 'official', 'ours', 'cpu_')
    out['method'] = ('one batch, timed --iters times per side, interleaved with alternating '
                     'order; total = median x (full batches + last/bs); data loading excluded')
    return out
