"""Point-PN: the parametric network built on Point-NN's skeleton.

Learned raw embedding (Conv1d+BN+ReLU), per-stage ``linear1`` (1x1 conv) before the
geometry PosE (concatenated sin/cos layout) and ``LGA_block[i]`` residual bottlenecks
after it, max+mean pooling without BN, and a 3-layer MLP classifier.

Parameter names follow the official ``Point_PN_mn40`` / ``Point_PN_scan``
(``raw_point_embed.net.0``, ``LGA_list.i.linear1.net.0``, ``LGA_list.i.linear2.j.net1.0``,
``classifier.0``), so official state dicts load strictly after the prefix map
``EncP. -> backbone.`` / ``classifier. -> head.classifier.`` (converter ``point_nn``).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmvideofm.ops import furthest_point_sample, gather_points, knn
from mmvideofm.registry import MODELS

from .point_nn import check_points
from .pos_embed import pos_embed, pose_frequencies

__all__ = ['PointPNEncoder', 'PointPNHead', 'ConvBNReLU1d', 'ResConvBNReLU2d', 'PointPNLGA']


class ConvBNReLU1d(nn.Module):
    """``Linear1Layer``: 1x1 Conv1d -> BN -> ReLU (keys ``net.0``, ``net.1``)."""

    def __init__(self, in_channels: int, out_channels: int, bias: bool = False) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv1d(in_channels, out_channels, 1, bias=bias),
                                 nn.BatchNorm1d(out_channels), nn.ReLU(inplace=True))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class ResConvBNReLU2d(nn.Module):
    """``Linear2Layer``: relu(BN(conv(relu(BN(conv(x, C/2)))), C) + x) with 1x1 Conv2d."""

    def __init__(self, channels: int, bias: bool = True) -> None:
        super().__init__()
        hidden = channels // 2
        self.net1 = nn.Sequential(nn.Conv2d(channels, hidden, 1, bias=bias),
                                  nn.BatchNorm2d(hidden), nn.ReLU(inplace=True))
        self.net2 = nn.Sequential(nn.Conv2d(hidden, channels, 1, bias=bias),
                                  nn.BatchNorm2d(channels))

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.net2(self.net1(x)) + x)


class PointPNLGA(nn.Module):
    """Local geometry aggregation of Point-PN (one stage).

    ``norm='mn40'``: relative xyz divided by one std over the batch (+1e-5);
    ``norm='scan'``: divided by the per-group, per-coordinate max ``|dxyz|`` (no eps).
    """

    def __init__(self, in_dim: int, out_dim: int, alpha: float, beta: float,
                 block_num: int, norm: Literal['mn40', 'scan'] = 'mn40') -> None:
        super().__init__()
        if norm not in ('mn40', 'scan'):
            raise ValueError(f"norm must be 'mn40' or 'scan', got {norm!r}")
        self.out_dim, self.alpha, self.beta, self.norm = out_dim, alpha, beta, norm
        self.linear1 = ConvBNReLU1d(2 * in_dim, out_dim, bias=False)
        self.linear2 = nn.Sequential(*[ResConvBNReLU2d(out_dim) for _ in range(block_num)])

    def forward(self, lc_xyz: Tensor, lc_x: Tensor, knn_xyz: Tensor, knn_x: Tensor) -> Tensor:
        """(B,G,3), (B,G,C), (B,G,K,3), (B,G,K,C) -> (B, out_dim, G, K)."""
        B, G, K, C = knn_x.shape
        dxyz = knn_xyz - lc_xyz.unsqueeze(-2)
        if self.norm == 'mn40':
            dxyz = dxyz / (torch.std(dxyz) + 1e-5)
        else:
            dxyz = dxyz / dxyz.abs().amax(dim=2, keepdim=True)
        feat = torch.cat([knn_x, lc_x.unsqueeze(2).expand(B, G, K, C)], dim=-1)
        feat = self.linear1(feat.permute(0, 3, 1, 2).reshape(B, 2 * C, G * K))
        feat = feat.view(B, self.out_dim, G, K)
        pe = pos_embed(dxyz, self.out_dim, self.alpha, self.beta, 'concat',
                       pose_frequencies(self.out_dim, 3, self.alpha, dxyz.device))
        pe = pe.permute(0, 3, 1, 2)  # (B, out_dim, G, K)
        w = (feat + pe) * pe
        return self.linear2(w)


@MODELS.register_module()
class PointPNEncoder(BaseModule):
    """Point-PN encoder (``EncP``); the official run scripts use the defaults.

    Args:
        in_channels: 3 (xyz, ModelNet40) or 4 (xyz + height, ScanObjectNN).
        input_points: N; stage ``i`` keeps ``N // 2**(i+1)`` centres.
        num_stages / embed_dim / k_neighbors: 4 / 36 / 40.
        alpha / beta: PosE base 1000 / magnitude 100.
        LGA_block: residual blocks per stage, ``[2, 1, 1, 1]``.
        dim_expansion: channel multiplier per stage, ``[2, 2, 2, 1]``.
        norm: ``'mn40'`` or ``'scan'`` relative-xyz normalisation.
        fps_cfg: keyword arguments of :func:`mmvideofm.ops.furthest_point_sample`.
    """

    def __init__(self, in_channels: int = 3, input_points: int = 1024, num_stages: int = 4,
                 embed_dim: int = 36, k_neighbors: int = 40, alpha: float = 1000,
                 beta: float = 100, LGA_block: Sequence[int] = (2, 1, 1, 1),  # noqa: N803
                 dim_expansion: Sequence[int] = (2, 2, 2, 1),
                 norm: Literal['mn40', 'scan'] = 'mn40', fps_cfg: dict | None = None,
                 init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(LGA_block) != num_stages or len(dim_expansion) != num_stages:
            raise ValueError('LGA_block and dim_expansion need one entry per stage')
        self.in_channels, self.input_points, self.num_stages = in_channels, input_points, num_stages
        self.k_neighbors = k_neighbors
        self.fps_cfg = dict(fps_cfg or {})
        self.raw_point_embed = ConvBNReLU1d(in_channels, embed_dim, bias=False)
        self.LGA_list = nn.ModuleList()  # noqa: N815 (official name, for checkpoint keys)
        dim = embed_dim
        for i in range(num_stages):
            out_dim = dim * dim_expansion[i]
            self.LGA_list.append(PointPNLGA(dim, out_dim, alpha, beta, LGA_block[i], norm))
            dim = out_dim
        self.out_channels = dim

    def forward(self, x: Tensor, xyz: Tensor, records: list | None = None) -> Tensor:
        """x: (B, in_channels, N) point features; xyz: (B, N, 3) -> (B, out_channels)."""
        check_points(xyz)
        if x.shape[1] != self.in_channels:
            raise ValueError(f'expected {self.in_channels} input channels, got {x.shape[1]}')
        x = self.raw_point_embed(x).transpose(1, 2)  # (B, N, C)
        for lga in self.LGA_list:
            fps_idx = furthest_point_sample(xyz, xyz.shape[1] // 2, **self.fps_cfg)
            lc_xyz, lc_x = gather_points(xyz, fps_idx), gather_points(x, fps_idx)
            knn_idx = knn(self.k_neighbors, xyz, lc_xyz)
            w = lga(lc_xyz, lc_x, gather_points(xyz, knn_idx), gather_points(x, knn_idx))
            pooled = w.amax(-1) + w.mean(-1)  # (B, C, G)
            if records is not None:
                records.append(dict(fps_idx=fps_idx, knn_idx=knn_idx, pooled=pooled))
            xyz, x = lc_xyz, pooled.transpose(1, 2)
        return x.amax(1) + x.mean(1)


@MODELS.register_module()
class PointPNHead(BaseModule):
    """Point-PN classifier: Linear-BN-ReLU-Dropout x2 -> Linear (keys ``classifier.*``).

    ``label_smoothing`` uses the official formula: the target keeps ``1 - eps`` and
    every other class gets ``eps / (C - 1)`` (0.4 for ModelNet40, 0.5 for ScanObjectNN).
    """

    def __init__(self, in_channels: int = 288, num_classes: int = 40, dropout: float = 0.5,
                 label_smoothing: float = 0.0, init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes, self.label_smoothing = num_classes, label_smoothing
        self.classifier = nn.Sequential(
            nn.Linear(in_channels, 512), nn.BatchNorm1d(512), nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(256, num_classes))

    def forward(self, feats: Tensor) -> Tensor:
        return self.classifier(feats)

    def loss(self, logits: Tensor, labels: Tensor) -> Tensor:
        eps = self.label_smoothing
        if eps <= 0:
            return F.cross_entropy(logits, labels)
        n = logits.shape[1]
        one_hot = F.one_hot(labels, n).to(logits.dtype)
        target = one_hot * (1 - eps) + (1 - one_hot) * eps / (n - 1)
        return -(target * F.log_softmax(logits, dim=1)).sum(1).mean()
