"""Point-memory heads: the non-parametric classifiers of Point-NN.

Classification: L2-normalised training features ``F`` (C, M) and one-hot labels
``L`` (M, classes); a test feature ``f`` gets ``logits = exp(-gamma (1 - f.F)) @ L``.
Part segmentation: per training shape, one mean feature (prototype) per part, kept
per shape category; a test point is matched against its category's prototypes.
The memories are buffers, so they are saved in (and restored from) checkpoints.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmvideofm.registry import MODELS

__all__ = ['MemoryBankHead', 'PartPrototypeHead', 'search_gamma', 'OFFICIAL_GAMMAS']

#: the official test-set sweep of run_nn_cls.py: 0, 2, 4, ..., 9998
OFFICIAL_GAMMAS = tuple(i * 10000 / 5000 for i in range(5000))


def _resize_buffers_on_load(module: BaseModule, state_dict: dict, prefix: str,
                            names: Sequence[str]) -> None:
    for name in names:
        key = prefix + name
        if key in state_dict:
            getattr(module, name).resize_(state_dict[key].shape)


def _accuracy(logits: Tensor, labels: Tensor) -> float:
    """Top-1 accuracy (%) with ``topk`` tie-breaking as ``utils.cls_acc``."""
    pred = logits.topk(1, 1, True, True)[1].squeeze(1)
    return 100.0 * (pred == labels).float().mean().item()


def search_gamma(sim: Tensor, label_memory: Tensor, labels: Tensor,
                 gammas: Sequence[float] = OFFICIAL_GAMMAS) -> tuple[float, float, list[float]]:
    """Accuracy of every gamma; the best kept with a strict ``>`` (first wins).

    Used on held-out data this is honest; on the test set it is the paper's oracle.
    Returns ``(best_acc, best_gamma, accs)``.
    """
    best_acc, best_gamma, accs = -1.0, float(gammas[0]), []
    gam = torch.as_tensor(list(gammas), dtype=sim.dtype, device=sim.device)
    for g in gam.split(256):  # (g, 1, 1) * (1, B, M): all gammas of a chunk at once
        logits = (-g.view(-1, 1, 1) * (1 - sim).unsqueeze(0)).exp() @ label_memory
        pred = logits.topk(1, -1, True, True)[1].squeeze(-1)  # (g, B)
        accs += (100.0 * (pred == labels.view(1, -1)).float().mean(1)).tolist()
    for gamma, acc in zip(gammas, accs):
        if acc > best_acc:
            best_acc, best_gamma = acc, float(gamma)
    return best_acc, best_gamma, accs


@MODELS.register_module()
class MemoryBankHead(BaseModule):
    """Point-memory bank classifier.

    Args:
        num_classes: number of classes; ``None`` infers ``max label + 1`` (official).
        gamma: the similarity sharpness ``gamma`` (a config value; no test-set tuning).
    """

    def __init__(self, num_classes: int | None = None, gamma: float = 230.0,
                 init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        # a buffer, so a gamma chosen while building the memory is saved with it
        self.register_buffer('gamma', torch.tensor(float(gamma)))
        self.register_buffer('feature_memory', torch.zeros(0, 0))  # (C, M)
        self.register_buffer('label_memory', torch.zeros(0, 0))  # (M, num_classes)

    @property
    def is_built(self) -> bool:
        return self.feature_memory.numel() > 0

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        _resize_buffers_on_load(self, state_dict, prefix, ['feature_memory', 'label_memory'])
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @torch.no_grad()
    def build_memory(self, feats: Tensor, labels: Tensor) -> None:
        """feats (M, C) raw features, labels (M,) ints: fill the memory buffers."""
        if feats.shape[0] == 0:
            raise ValueError('cannot build a memory bank from zero training samples')
        labels = labels.reshape(-1).long()
        num_classes = self.num_classes or int(labels.max()) + 1
        if labels.min() < 0 or labels.max() >= num_classes:
            raise ValueError(f'labels must lie in [0, {num_classes}), got '
                             f'[{int(labels.min())}, {int(labels.max())}]')
        mem = feats.float() / feats.float().norm(dim=-1, keepdim=True)
        self.feature_memory = mem.t().contiguous()
        self.label_memory = F.one_hot(labels, num_classes).float()

    def similarity(self, feats: Tensor) -> Tensor:
        """Cosine similarity (B, M) of raw features to the memory."""
        if not self.is_built:
            raise RuntimeError('the memory bank is empty: build it first (tools/train.py '
                               'with a Point-NN config runs MemoryBankBuildLoop) or load '
                               'a checkpoint that contains it')
        feats = feats.float()
        return (feats / feats.norm(dim=-1, keepdim=True)) @ self.feature_memory

    def forward(self, feats: Tensor, gamma: float | None = None) -> Tensor:
        """(B, C) raw features -> (B, num_classes) logits."""
        gamma = float(self.gamma) if gamma is None else gamma
        return (-gamma * (1 - self.similarity(feats))).exp() @ self.label_memory


@MODELS.register_module()
class PartPrototypeHead(BaseModule):
    """Part-prototype memory of Point-NN segmentation, grouped by shape category.

    Args:
        num_parts: part classes over all categories (50 for ShapeNetPart).
        gamma: similarity sharpness (300 in ``run_nn_seg.py``).
    """

    def __init__(self, num_parts: int = 50, gamma: float = 300.0,
                 init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_parts, self.gamma = num_parts, gamma
        self.register_buffer('feature_memory', torch.zeros(0, 0))  # (M, C) normalised
        self.register_buffer('shape_memory', torch.zeros(0, dtype=torch.long))  # (M,)
        self.register_buffer('part_memory', torch.zeros(0, dtype=torch.long))  # (M,)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        _resize_buffers_on_load(self, state_dict, prefix,
                                ['feature_memory', 'shape_memory', 'part_memory'])
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @staticmethod
    def prototypes(point_feats: Tensor, part_labels: Tensor) -> tuple[Tensor, Tensor]:
        """Mean raw feature per part present: (N, C), (N,) -> (P, C), (P,) part ids."""
        parts = torch.unique(part_labels)
        protos = torch.stack([point_feats[part_labels == p].mean(0) for p in parts])
        return protos, parts

    @torch.no_grad()
    def build_memory(self, protos: Tensor, shape_ids: Tensor, part_ids: Tensor) -> None:
        if protos.shape[0] == 0:
            raise ValueError('cannot build a part memory from zero prototypes')
        self.feature_memory = protos.float() / protos.float().norm(dim=-1, keepdim=True)
        self.shape_memory = shape_ids.long().reshape(-1)
        self.part_memory = part_ids.long().reshape(-1)

    def forward(self, point_feats: Tensor, shape_id: int) -> Tensor:
        """(N, C) raw point features of one shape -> (N, num_parts) logits."""
        sel = self.shape_memory == int(shape_id)
        if not sel.any():
            raise RuntimeError(f'no prototypes for shape category {int(shape_id)}: build the '
                               'memory from a training set that contains it')
        feats = point_feats.float()
        feats = feats / feats.norm(dim=-1, keepdim=True)
        sim = feats @ self.feature_memory[sel].t()
        one_hot = F.one_hot(self.part_memory[sel], self.num_parts).float()
        return (-self.gamma * (1 - sim)).exp() @ one_hot
