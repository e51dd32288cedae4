"""Point-cloud ops: farthest point sampling, kNN and gather (PointNet++ conventions).

``mmcv.ops`` is used on CUDA tensors when mmcv full (with compiled ops) is installed;
otherwise a vectorized torch implementation runs on any device. The torch path
reproduces the pointnet2 / mmcv CUDA FPS kernel: the first index is 0, points with
``x*x+y*y+z*z <= 1e-3`` are never selected (the kernel's near-origin skip) and exact
ties are broken as the kernel's thread scan + shared-memory tree reduction does.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Literal

import torch

__all__ = ['furthest_point_sample', 'knn', 'square_distance', 'gather_points',
           'has_mmcv_ops']

_MMCV_OPS: object | None | bool = False  # False: not probed yet


def _mmcv_ops():
    """Return ``mmcv.ops`` if its compiled extension imports, else ``None``."""
    global _MMCV_OPS
    if _MMCV_OPS is False:
        try:
            import mmcv.ops as ops  # noqa: F401 (mmcv-lite raises: no mmcv._ext)
            _MMCV_OPS = ops
        except Exception:  # ImportError / ModuleNotFoundError from mmcv-lite
            _MMCV_OPS = None
    return _MMCV_OPS


def has_mmcv_ops() -> bool:
    """Whether mmcv full (compiled CUDA ops) is importable."""
    return _mmcv_ops() is not None


def _use_mmcv(t: torch.Tensor, backend: str) -> bool:
    if backend not in ('auto', 'torch', 'mmcv'):
        raise ValueError(f"backend must be 'auto', 'torch' or 'mmcv', got {backend!r}")
    if backend == 'torch':
        return False
    ok = t.is_cuda and has_mmcv_ops()
    if backend == 'mmcv' and not ok:
        raise RuntimeError('backend="mmcv" needs mmcv full (compiled ops) and a CUDA tensor')
    return ok


@lru_cache(maxsize=32)
def _cuda_tie_rank(n: int) -> torch.Tensor:
    """Priority of every point among exactly tied maxima in the CUDA FPS kernel.

    The kernel runs ``T = min(2**floor(log2 n), 512)`` threads; thread ``t`` scans
    ``k = t, t+T, ...`` keeping its first strict maximum, then a tree reduction
    (``s = T/2 .. 1``, right slot wins only if strictly greater) picks the winner.
    Among tied maxima this selects the smallest bit-reversed thread id, then the
    smallest ``k // T`` inside that thread. Lower rank wins.
    """
    threads = min(2 ** int(math.floor(math.log2(n))), 512) if n > 0 else 1
    bits = int(math.log2(threads))
    k = torch.arange(n)
    t = k % threads
    rev = torch.zeros_like(t)
    for b in range(bits):
        rev |= ((t >> b) & 1) << (bits - 1 - b)
    return rev * math.ceil(n / threads) + k // threads


def _fps_torch(xyz: torch.Tensor, num_points: int, skip_near_origin: bool,
               tie_break: str) -> torch.Tensor:
    B, N, _ = xyz.shape
    pts = xyz.detach().float().permute(0, 2, 1).contiguous()  # (B, 3, N)
    if skip_near_origin:
        # the kernel compares a float magnitude with the double literal 1e-3
        mag = pts[:, 0] * pts[:, 0] + pts[:, 1] * pts[:, 1] + pts[:, 2] * pts[:, 2]
        valid = mag.double() > 1e-3
        temp = torch.where(valid, torch.full_like(mag, 1e10), torch.full_like(mag, -1.0))
    else:
        temp = pts.new_full((B, N), 1e10)
    idx = torch.zeros(B, num_points, dtype=torch.long, device=xyz.device)
    rank = _cuda_tie_rank(N).to(xyz.device).expand(B, N) if tie_break == 'cuda' else None
    big = torch.full((B, N), N * 2 + 1, dtype=torch.long, device=xyz.device) \
        if rank is not None else None
    old = idx[:, 0]
    for j in range(1, num_points):
        o = pts.gather(2, old.view(B, 1, 1).expand(B, 3, 1))  # (B, 3, 1)
        diff = pts - o
        diff.mul_(diff)
        d = diff[:, 0] + diff[:, 1]
        d += diff[:, 2]
        torch.minimum(temp, d, out=temp)  # skipped points keep -1 (d >= 0)
        if rank is None:
            old = temp.argmax(1)
        else:
            mx = temp.amax(1, keepdim=True)
            old = torch.where(temp == mx, rank, big).argmin(1)
        idx[:, j] = old
    return idx


def furthest_point_sample(xyz: torch.Tensor, num_points: int, *,
                          skip_near_origin: bool = True,
                          tie_break: Literal['cuda', 'first'] = 'cuda',
                          backend: Literal['auto', 'torch', 'mmcv'] = 'auto') -> torch.Tensor:
    """Farthest point sampling, deterministic, starting at index 0.

    Args:
        xyz: (B, N, 3) coordinates.
        num_points: number of points to keep (``<= N``).
        skip_near_origin: reproduce the CUDA kernel, which never selects a point with
            ``x*x+y*y+z*z <= 1e-3`` (except index 0, always taken first).
        tie_break: ``'cuda'`` reproduces the kernel's choice among exactly tied
            maxima; ``'first'`` takes the smallest index.
        backend: ``'auto'`` uses ``mmcv.ops`` on CUDA tensors when available.

    Returns:
        (B, num_points) int64 indices.
    """
    if xyz.dim() != 3 or xyz.shape[-1] != 3:
        raise ValueError(f'xyz must be (B, N, 3), got {tuple(xyz.shape)}')
    B, N, _ = xyz.shape
    if not 0 < num_points <= N:
        raise ValueError(f'cannot sample {num_points} points from clouds of {N} points')
    if tie_break not in ('cuda', 'first'):
        raise ValueError(f"tie_break must be 'cuda' or 'first', got {tie_break!r}")
    if _use_mmcv(xyz, backend):
        if not skip_near_origin:
            raise ValueError('the mmcv kernel always skips near-origin points')
        return _mmcv_ops().furthest_point_sample(xyz.float().contiguous(), num_points).long()
    return _fps_torch(xyz, num_points, skip_near_origin, tie_break)


def square_distance(src: torch.Tensor, dst: torch.Tensor) -> torch.Tensor:
    """Pairwise squared distances ``|s|^2 + |d|^2 - 2 s.d`` (official op order).

    Args:
        src: (B, N, C); dst: (B, M, C). Returns (B, N, M).
    """
    B, N, _ = src.shape
    M = dst.shape[1]
    dist = -2 * torch.matmul(src, dst.permute(0, 2, 1))
    dist += torch.sum(src ** 2, -1).view(B, N, 1)
    dist += torch.sum(dst ** 2, -1).view(B, 1, M)
    return dist


def knn(k: int, xyz: torch.Tensor, query: torch.Tensor, *, sorted: bool = False,
        backend: Literal['auto', 'torch', 'mmcv'] = 'auto') -> torch.Tensor:
    """Indices of the ``k`` nearest points of ``xyz`` to every query point.

    The query itself is included when it belongs to ``xyz``. With ``sorted=False``
    the order inside a row is unspecified (as ``topk(sorted=False)`` officially).

    Args:
        k: neighbours per query (``<= N``).
        xyz: (B, N, 3) candidate points.
        query: (B, M, 3) query points.

    Returns:
        (B, M, k) int64 indices into ``xyz``.
    """
    if xyz.dim() != 3 or query.dim() != 3 or xyz.shape[0] != query.shape[0]:
        raise ValueError(f'xyz (B, N, C) and query (B, M, C) expected, got '
                         f'{tuple(xyz.shape)} and {tuple(query.shape)}')
    if not 0 < k <= xyz.shape[1]:
        raise ValueError(f'k={k} neighbours requested from {xyz.shape[1]} points')
    if _use_mmcv(xyz, backend):
        idx = _mmcv_ops().knn(k, xyz.float().contiguous(), query.float().contiguous(), False)
        idx = idx.transpose(1, 2).long()  # mmcv: (B, k, M)
        return idx.sort(-1)[0] if sorted else idx
    dist = square_distance(query, xyz)  # (B, M, N)
    return torch.topk(dist, k, dim=-1, largest=False, sorted=sorted)[1]


def gather_points(points: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Batched gather: ``out[b, ...] = points[b, idx[b, ...]]``.

    Args:
        points: (B, N, C) point features.
        idx: (B, ...) int indices into N.

    Returns:
        (B, ..., C) gathered features.
    """
    B, N, C = points.shape
    if idx.shape[0] != B:
        raise ValueError(f'batch mismatch: points {B}, idx {idx.shape[0]}')
    offset = (torch.arange(B, device=idx.device) * N).view(B, *([1] * (idx.dim() - 1)))
    flat = (idx.long() + offset).reshape(-1)
    return points.reshape(B * N, C).index_select(0, flat).view(*idx.shape, C)
