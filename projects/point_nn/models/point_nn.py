"""Point-NN: the non-parametric encoder (and part-segmentation decoder).

Paper: Parameter is Not All You Need: Starting from Non-Parametric Networks for 3D
Point Cloud Analysis (https://arxiv.org/abs/2303.08134).

Raw-point PosE -> ``num_stages`` x (FPS -> kNN -> local geometry aggregation (LGA) ->
max+mean pooling -> BN(eval, default stats) -> GELU) -> global max+mean.

The math follows the official ``Point_NN`` exactly (fp32 parity with the shared
fixtures); the execution differs: features stay channels-last and each stage runs
over chunks of groups, so the (B, C, G, K) tensors (about 106M elements per stage at
B=16) are never materialised. The LGA normalisation divides by **one** standard
deviation over the whole batch (``std_mode='batch'``, official), so a cloud's feature
depends on the other clouds of its batch; ``std_mode='sample'`` gives every cloud its
own statistics (equal to running it alone, as the official segmentation does).
"""
from __future__ import annotations

import math
import warnings
from typing import Literal

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmvideofm.ops import furthest_point_sample, gather_points, knn, square_distance
from mmvideofm.registry import MODELS

from .pos_embed import pos_embed, pose_frequencies, sin_cos

__all__ = ['PointNNEncoder', 'PointNNSegDecoder', 'check_points']

_BN_EPS = 1e-5


def check_points(xyz: Tensor, name: str = 'xyz') -> None:
    """Raise a ``ValueError`` naming the first cloud with NaN/inf coordinates."""
    if xyz.dim() != 3 or xyz.shape[-1] != 3:
        raise ValueError(f'{name} must be (B, N, 3) coordinates, got {tuple(xyz.shape)}')
    bad = ~torch.isfinite(xyz).flatten(1).all(1)
    if bad.any():
        raise ValueError(f'{name}: non-finite (NaN/inf) coordinates in batch sample(s) '
                         f'{bad.nonzero().flatten().tolist()}')


def _max_over_k_(w: Tensor) -> Tensor:
    """``w.amax(1)`` by in-place pairwise halving (faster on CPU); overwrites ``w``."""
    k = w.shape[1]
    while k > 1:
        h = k // 2
        head = w[:, :h]
        torch.maximum(head, w[:, k - h:k], out=head)  # odd k: the middle row stays
        k -= h
    return w[:, 0]


@MODELS.register_module()
class PointNNEncoder(BaseModule):
    """Non-parametric Point-NN encoder.

    Pass the run-script constants explicitly: the official ``Point_NN`` class defaults
    are ``beta=1000, alpha=100`` (swapped); ``run_nn_cls.py`` uses ``alpha=1000,
    beta=100``, which are our defaults.

    Args:
        input_points: points per cloud (N); stage ``i`` keeps ``N // 2**i`` centres.
        num_stages: number of FPS/kNN/LGA/pooling stages (4).
        embed_dim: raw PosE channels (72 cls, 144 seg); doubled every stage.
        k_neighbors: kNN size (90).
        alpha: PosE frequency base (1000).
        beta: PosE coordinate magnitude (100).
        std_mode: ``'batch'`` (official: one std over the batch) or ``'sample'``.
        fps_cfg: keyword arguments of :func:`mmvideofm.ops.furthest_point_sample`.
        chunk_elems: target size of a (groups, K, C) chunk; only speed depends on it.
    """

    def __init__(self, input_points: int = 1024, num_stages: int = 4, embed_dim: int = 72,
                 k_neighbors: int = 90, alpha: float = 1000, beta: float = 100,
                 std_mode: Literal['batch', 'sample'] = 'batch',
                 fps_cfg: dict | None = None, chunk_elems: int = 1 << 19,
                 init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if embed_dim % 6:
            raise ValueError(f'embed_dim must be a multiple of 6, got {embed_dim}')
        if std_mode not in ('batch', 'sample'):
            raise ValueError(f"std_mode must be 'batch' or 'sample', got {std_mode!r}")
        if input_points // 2 ** num_stages < 1:
            raise ValueError(f'{num_stages} stages need at least {2 ** num_stages} points')
        self.input_points = input_points
        self.num_stages = num_stages
        self.embed_dim = embed_dim
        self.k_neighbors = k_neighbors
        self.alpha, self.beta = alpha, beta
        self.std_mode = std_mode
        self.fps_cfg = dict(fps_cfg or {})
        self.chunk_elems = chunk_elems
        self.out_channels = embed_dim * 2 ** num_stages
        # BatchNorm1d in eval mode with default buffers (mean 0, var 1, w 1, b 0)
        self.bn_scale = 1.0 / math.sqrt(1.0 + _BN_EPS)

    # ------------------------------------------------------------------ helpers
    def raw_embed(self, xyz: Tensor) -> Tensor:
        """(B, N, 3) -> (B, N, embed_dim) interleaved PosE (``PosE_Initial``)."""
        return pos_embed(xyz, self.embed_dim, self.alpha, self.beta, 'interleaved')

    def _lga_pool(self, xyz: Tensor, x: Tensor, lc_xyz: Tensor, lc_x: Tensor,
                  knn_idx: Tensor, out_dim: int, record: dict | None) -> Tensor:
        """LGA + pooling for one stage; returns (B, G, out_dim) pooled features."""
        B, N, C = x.shape
        G, K = knn_idx.shape[1:]
        flat = (knn_idx + (torch.arange(B, device=x.device) * N).view(B, 1, 1)).view(B * G, K)
        x_flat = x.reshape(B * N, C)
        lcx = lc_x.reshape(B * G, 1, C)
        # coordinates: small, materialise (B*G, K, 3) and take torch.std as officially
        dxyz = xyz.reshape(B * N, 3).index_select(0, flat.view(-1)).view(B * G, K, 3)
        dxyz -= lc_xyz.reshape(B * G, 1, 3)
        std_x = self._neighbour_std(x_flat, lcx.view(B * G, C), flat)
        std_xyz = torch.std(dxyz)
        if record is not None:
            record['std_x_xyz'] = torch.stack([std_x, std_xyz])
        denom_x, denom_xyz = std_x + 1e-5, std_xyz + 1e-5
        dim_embed = pose_frequencies(out_dim, 3, self.alpha, x.device)
        pooled = x.new_empty(B * G, out_dim)
        step = max(1, self.chunk_elems // (K * out_dim))
        # embed_dim = 6m gives F = out_dim // 6 = m * 2**stage: always even here
        self._pool_blocked(x_flat, lc_x.reshape(B * G, C), flat, dxyz, denom_x, denom_xyz,
                           dim_embed, pooled, step)
        pooled = F.gelu(pooled * self.bn_scale)
        return pooled.view(B, G, out_dim)

    def _pool_blocked(self, x_flat: Tensor, lcx: Tensor, flat: Tensor, dxyz: Tensor,
                      denom_x: Tensor, denom_xyz: Tensor, dim_embed: Tensor, pooled: Tensor,
                      step: int) -> None:
        """The same ``(cat[dx, lc_x] + PE) * PE`` pooling, computed with all sines, then
        all cosines, each written contiguously (blocked position ``j' = s*3F + c*F + f``),
        and permuted back to the official interleaved order ``c*2F + 2f + s`` at the end.

        With ``C = 3F`` and F even, the official channel behind blocked position ``j'`` is
        a ``dx`` channel on ``[0, 1.5F)`` of each half and an ``lc_x`` channel on the rest.
        """
        K, C = flat.shape[1], x_flat.shape[1]
        out_dim, Fq = 2 * C, C // 3
        j = torch.arange(out_dim)
        sc, c, f = j // C, (j % C) // Fq, j % Fq
        perm = (c * 2 * Fq + 2 * f + sc).to(x_flat.device)  # blocked -> official channel
        h = Fq + Fq // 2  # dx channels per half
        src_dx = torch.cat([perm[:h], perm[C:C + h]])
        src_lc = torch.cat([perm[h:C], perm[C + h:]]) - C
        x_dx = x_flat.index_select(1, src_dx)  # (BN, C) permuted columns
        lc_dx = lcx.index_select(1, src_dx).unsqueeze(1)  # (BG, 1, C)
        lc_lc = lcx.index_select(1, src_lc).unsqueeze(1)
        inv = torch.empty_like(perm)
        inv[perm] = torch.arange(out_dim, device=perm.device)
        for g0 in range(0, flat.shape[0], step):
            sl = slice(g0, g0 + step)
            dx = x_dx.index_select(0, flat[sl].reshape(-1)).view(-1, K, C)
            dx -= lc_dx[sl]
            dx /= denom_x
            arg = torch.div(self.beta * (dxyz[sl] / denom_xyz).unsqueeze(-1), dim_embed)
            g = arg.shape[0]
            out = []
            trig = (arg.new_empty(g, K, C), arg.new_empty(g, K, C))  # (sin, cos)
            sin_cos(arg.view(g, K, C), *trig)
            for half, pe in enumerate(trig):
                w = torch.empty_like(pe)
                torch.add(dx[..., half * h:(half + 1) * h],
                          pe[..., :h], out=w[..., :h])
                torch.add(lc_lc[sl, :, half * (C - h):(half + 1) * (C - h)], pe[..., h:],
                          out=w[..., h:])
                w.mul_(pe)
                out.append(w.mean(1).add_(_max_over_k_(w)))
            pooled[sl] = torch.cat(out, 1).index_select(1, inv)

    @staticmethod
    def _neighbour_std(x_flat: Tensor, lcx: Tensor, flat: Tensor) -> Tensor:
        """Unbiased std of ``x[knn] - lc_x`` over all (B, G, K, C), without gathering.

        With ``n_j`` = how often point ``j`` is a neighbour and ``S_g = sum_k x[idx[g,k]]``:
        ``sum dx = sum_j n_j x_j - K sum_g lc_g`` and
        ``sum dx^2 = sum_j n_j |x_j|^2 - 2 sum_g lc_g.S_g + K sum_g |lc_g|^2``,
        accumulated in float64 (``S`` via a sparse (BG x BN) @ (BN x C) product).
        """
        BG, K = flat.shape
        BN, C = x_flat.shape
        xd, lcd = x_flat.double(), lcx.double()
        cnt = torch.bincount(flat.reshape(-1), minlength=BN).double()
        ones = torch.ones(BG * K, dtype=torch.float64, device=flat.device)
        crow = torch.arange(0, BG * K + 1, K, device=flat.device)
        with warnings.catch_warnings():  # 'sparse CSR support is in beta'
            warnings.simplefilter('ignore', UserWarning)
            adj = torch.sparse_csr_tensor(crow, flat.reshape(-1), ones, size=(BG, BN),
                                          check_invariants=False)
            S = adj @ xd  # (BG, C)
        n = BG * K * C
        total = (cnt @ xd).sum() - K * lcd.sum()
        total_sq = cnt @ (xd * xd).sum(1) - 2 * (lcd * S).sum() + K * (lcd * lcd).sum()
        var = (total_sq - total * total / n) / max(n - 1, 1)
        return var.clamp_min(0).sqrt().to(x_flat.dtype)

    def _stage(self, xyz: Tensor, x: Tensor, i: int, record: dict | None
               ) -> tuple[Tensor, Tensor]:
        out_dim = self.embed_dim * 2 ** (i + 1)
        group_num = xyz.shape[1] // 2
        fps_idx = furthest_point_sample(xyz, group_num, **self.fps_cfg)
        lc_xyz = gather_points(xyz, fps_idx)
        lc_x = gather_points(x, fps_idx)
        knn_idx = knn(self.k_neighbors, xyz, lc_xyz)
        if record is not None:
            record.update(fps_idx=fps_idx, lc_xyz=lc_xyz, knn_idx=knn_idx)
        pooled = self._lga_pool(xyz, x, lc_xyz, lc_x, knn_idx, out_dim, record)
        if record is not None:
            record['pooled'] = pooled.transpose(1, 2)  # (B, C, G) official layout
        return lc_xyz, pooled

    # ------------------------------------------------------------------ forward
    def forward_levels(self, xyz: Tensor, records: list | None = None
                       ) -> tuple[list[Tensor], list[Tensor]]:
        """All levels: xyz (B, N_l, 3) and channels-last features (B, N_l, C_l)."""
        check_points(xyz)
        if xyz.shape[1] < 2 ** self.num_stages:
            raise ValueError(f'clouds of {xyz.shape[1]} points are too small for '
                             f'{self.num_stages} stages')
        last = xyz.shape[1] // 2 ** (self.num_stages - 1)  # points entering the last stage
        if self.k_neighbors > last:
            raise ValueError(f'k_neighbors={self.k_neighbors} exceeds the {last} points left at '
                             f'stage {self.num_stages} for clouds of {xyz.shape[1]} points; '
                             f'use k_neighbors <= {last} or more points')
        if self.std_mode == 'sample' and xyz.shape[0] > 1:
            per = [self.forward_levels(xyz[b:b + 1]) for b in range(xyz.shape[0])]
            return ([torch.cat([p[0][lv] for p in per]) for lv in range(self.num_stages + 1)],
                    [torch.cat([p[1][lv] for p in per]) for lv in range(self.num_stages + 1)])
        xyz = xyz.float().contiguous()
        x = self.raw_embed(xyz)
        if records is not None:
            records.append(dict(raw_embed=x.transpose(1, 2)))
        xyz_list, x_list = [xyz], [x]
        for i in range(self.num_stages):
            rec = {} if records is not None else None
            xyz, x = self._stage(xyz, x, i, rec)
            if records is not None:
                records.append(rec)
            xyz_list.append(xyz)
            x_list.append(x)
        return xyz_list, x_list

    def forward(self, xyz: Tensor, records: list | None = None) -> Tensor:
        """(B, N, 3) coordinates -> (B, out_channels) global feature (max + mean).

        ``records``: optional list that receives per-stage intermediates
        (``raw_embed`` then ``fps_idx, lc_xyz, knn_idx, std_x_xyz, pooled`` per stage).
        """
        _, x_list = self.forward_levels(xyz, records)
        x = x_list[-1]
        return x.amax(1) + x.mean(1)


@MODELS.register_module()
class PointNNSegDecoder(BaseModule):
    """Non-parametric decoder (``DecNP``): inverse-distance interpolation, coarse to fine.

    At each level the ``de_neighbors`` nearest coarse points of every finer point are
    weighted by ``1 / (d + 1e-8)`` (normalised), and the interpolated features are
    concatenated after the finer level's own features.
    """

    def __init__(self, de_neighbors: int = 6, init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.de_neighbors = de_neighbors

    def propagate(self, xyz_fine: Tensor, xyz_coarse: Tensor, x_fine: Tensor | None,
                  x_coarse: Tensor) -> Tensor:
        """Channels-last: (B,N,3), (B,S,3), (B,N,C1), (B,S,C2) -> (B,N,C1+C2)."""
        B, N, _ = xyz_fine.shape
        S = xyz_coarse.shape[1]
        if S == 1:
            interp = x_coarse.expand(B, N, x_coarse.shape[-1])
        else:
            k = min(self.de_neighbors, S)
            dists = square_distance(xyz_fine, xyz_coarse)
            dists, idx = dists.sort(dim=-1)
            dists, idx = dists[..., :k], idx[..., :k]
            recip = 1.0 / (dists + 1e-8)
            weight = recip / recip.sum(dim=2, keepdim=True)
            interp = (gather_points(x_coarse, idx) * weight.unsqueeze(-1)).sum(dim=2)
        return interp if x_fine is None else torch.cat([x_fine, interp], dim=-1)

    def forward(self, xyz_list: list[Tensor], x_list: list[Tensor]) -> Tensor:
        """Levels fine->coarse (as the encoder returns them) -> (B, N, sum C) features."""
        x = x_list[-1]
        for lv in range(len(xyz_list) - 1, 0, -1):
            x = self.propagate(xyz_list[lv - 1], xyz_list[lv], x_list[lv - 1], x)
        return x
