"""MMEngine models: Point-NN / Point-PN classifiers, plug-and-play, Point-NN segmentor.

Forward modes follow mmengine: ``'tensor'`` returns logits (or features for
``extract_feat``), ``'predict'`` fills ``ActionDataSample.pred_score`` / ``pred_label``,
``'loss'`` returns a dict of losses (Point-PN only; Point-NN has nothing to learn).
Non-parametric models expose ``memory_step`` / ``set_memory`` for ``MemoryBankBuildLoop``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmaction.structures import ActionDataSample
from mmengine.model import BaseModel
from torch import Tensor

from mmvideofm.registry import MODELS

from .heads import MemoryBankHead, PartPrototypeHead

__all__ = ['PointNNClassifier', 'PointPNClassifier', 'PlugAndPlayClassifier',
           'PointNNSegmentor']

_DEFAULT_PREPROCESSOR = dict(type='PointCloudDataPreprocessor')


def _preprocessor(cfg: dict | None):
    """Build through the mmvideofm registry (BaseModel would use mmengine's root one,
    which only resolves our types under a default scope)."""
    cfg = cfg or _DEFAULT_PREPROCESSOR
    return MODELS.build(cfg) if isinstance(cfg, dict) else cfg


def _labels(data_samples) -> Tensor:
    return torch.cat([ds.gt_label.reshape(-1) for ds in data_samples]).long()


def _fill_predictions(data_samples, logits: Tensor) -> list:
    if data_samples is None:
        data_samples = [ActionDataSample() for _ in range(logits.shape[0])]
    scores = logits.float()
    for ds, score in zip(data_samples, scores):
        ds.set_pred_score(score)
        ds.set_pred_label(score.argmax().reshape(1))
    return data_samples


@MODELS.register_module()
class PointNNClassifier(BaseModel):
    """Point-NN: ``PointNNEncoder`` features classified by a ``MemoryBankHead``.

    Args:
        backbone: encoder config (``PointNNEncoder`` with the run-script constants).
        head: ``MemoryBankHead`` config.
        oracle_gamma_search: also run the official gamma sweep per test batch; each
            sample then carries ``oracle_gamma_preds`` that ``OracleGammaAccuracy``
            reports under names labelled as tuned on the test set.
        oracle_gammas: the sweep values (default: the official 0, 2, ..., 9998).
    """

    def __init__(self, backbone: dict, head: dict, data_preprocessor: dict | None = None,
                 oracle_gamma_search: bool = False, oracle_gammas: list | None = None,
                 init_cfg: dict | None = None) -> None:
        super().__init__(data_preprocessor=_preprocessor(data_preprocessor),
                         init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head: MemoryBankHead = MODELS.build(head)
        self.oracle_gamma_search = oracle_gamma_search
        self.oracle_gammas = oracle_gammas

    def extract_feat(self, inputs: Tensor) -> Tensor:
        """(B, N, C) points -> (B, D) global features (xyz = first 3 channels)."""
        return self.backbone(inputs[..., :3])

    @torch.no_grad()
    def memory_step(self, data: dict) -> dict:
        data = self.data_preprocessor(data, False)
        return dict(feats=self.extract_feat(data['inputs']).cpu(),
                    labels=_labels(data['data_samples']).cpu())

    def set_memory(self, records: list[dict]) -> None:
        self.head.build_memory(torch.cat([r['feats'] for r in records]).to(self._device()),
                               torch.cat([r['labels'] for r in records]).to(self._device()))

    def _device(self) -> torch.device:
        return self.head.feature_memory.device

    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            raise RuntimeError('Point-NN has no trainable parameters: "training" builds the '
                               'memory bank; use train_cfg=dict(type="MemoryBankBuildLoop")')
        with torch.no_grad():
            feats = self.extract_feat(inputs)
            logits = self.head(feats)
        if mode == 'tensor':
            return logits
        if mode != 'predict':
            raise ValueError(f'unknown mode {mode!r}')
        samples = _fill_predictions(data_samples, logits)
        if self.oracle_gamma_search:
            from .heads import OFFICIAL_GAMMAS
            gammas = self.oracle_gammas or OFFICIAL_GAMMAS
            sim = self.head.similarity(feats)
            preds = torch.stack([((-g * (1 - sim)).exp() @ self.head.label_memory)
                                 .topk(1, 1, True, True)[1].squeeze(1) for g in gammas], 1)
            for ds, p in zip(samples, preds):
                ds.set_field(p.cpu(), 'oracle_gamma_preds')
                ds.set_field(torch.tensor(gammas), 'oracle_gammas')
        return samples

    @torch.no_grad()
    def select_gamma_on_train(self, gammas=(1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 1000),
                              chunk: int = 1024) -> tuple[float, float]:
        """Honest gamma: leave-one-out accuracy on the memory bank itself (no test data).

        Every training sample is classified by all the others (its own vote removed);
        the first gamma with the best accuracy wins. Returns ``(acc_percent, gamma)``.
        """
        mem = self.head.feature_memory.t()  # (M, C), L2-normalised
        labels_1h = self.head.label_memory
        labels = labels_1h.argmax(1)
        correct = torch.zeros(len(gammas))
        for r0 in range(0, mem.shape[0], chunk):
            sim = mem[r0:r0 + chunk] @ mem.t()  # (m, M)
            rows = torch.arange(sim.shape[0], device=sim.device)
            for i, g in enumerate(gammas):
                w = (-g * (1 - sim)).exp()
                w[rows, rows + r0] = 0  # leave the sample itself out
                pred = (w @ labels_1h).topk(1, 1, True, True)[1].squeeze(1)
                correct[i] += (pred == labels[r0:r0 + chunk]).sum().item()
        accs = (100.0 * correct / mem.shape[0]).tolist()
        best = max(range(len(gammas)), key=lambda i: (accs[i], -i))  # first best
        return accs[best], float(gammas[best])


@MODELS.register_module()
class PointPNClassifier(BaseModel):
    """Point-PN: ``PointPNEncoder`` + ``PointPNHead``, trained normally.

    ``inputs`` (B, N, C): xyz are the first 3 channels; the encoder's point features are
    the first ``backbone.in_channels`` channels (xyz, or xyz + height for ScanObjectNN).
    """

    def __init__(self, backbone: dict, head: dict, data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None) -> None:
        super().__init__(data_preprocessor=_preprocessor(data_preprocessor),
                         init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)

    def extract_feat(self, inputs: Tensor) -> Tensor:
        cin = self.backbone.in_channels
        if inputs.shape[-1] < cin:
            raise ValueError(f'points have {inputs.shape[-1]} channels, the encoder needs '
                             f'{cin} (add AddPointHeight for ScanObjectNN)')
        return self.backbone(inputs[..., :cin].transpose(1, 2).contiguous(), inputs[..., :3])

    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'tensor'):
        logits = self.head(self.extract_feat(inputs))
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            return dict(loss_cls=self.head.loss(logits, _labels(data_samples).to(logits.device)))
        if mode == 'predict':
            return _fill_predictions(data_samples, logits)
        raise ValueError(f'unknown mode {mode!r}')


@MODELS.register_module()
class PlugAndPlayClassifier(BaseModel):
    """Plug-and-play: a trained classifier's scores plus Point-NN memory scores.

    The paper adds Point-NN's similarity logits to a trained model's at inference and
    releases no code. Here ``fusion='prob'`` (default) adds two distributions,
    ``softmax(classifier_logits) + nn_weight * nn_logits / sum(nn_logits)``, so the
    weight does not depend on either model's logit scale; ``fusion='logits'`` adds the
    raw classifier logits and the (L1-normalised) Point-NN logits.

    Args:
        classifier: any registered model whose ``mode='tensor'`` returns logits.
        point_nn: a ``PointNNClassifier`` config (its memory is built by
            ``MemoryBankBuildLoop``; the classifier stays frozen).
        nn_weight: weight of the Point-NN scores.
    """

    def __init__(self, classifier: dict, point_nn: dict, nn_weight: float = 1.0,
                 fusion: str = 'prob', data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None) -> None:
        super().__init__(data_preprocessor=_preprocessor(data_preprocessor),
                         init_cfg=init_cfg)
        if fusion not in ('prob', 'logits'):
            raise ValueError(f"fusion must be 'prob' or 'logits', got {fusion!r}")
        self.classifier = MODELS.build(classifier)
        self.point_nn: PointNNClassifier = MODELS.build(point_nn)
        self.nn_weight, self.fusion = nn_weight, fusion

    def memory_step(self, data: dict) -> dict:
        return self.point_nn.memory_step(data)

    def set_memory(self, records: list[dict]) -> None:
        self.point_nn.set_memory(records)

    def nn_scores(self, inputs: Tensor) -> Tensor:
        """L1-normalised Point-NN memory logits (B, num_classes)."""
        return F.normalize(self.point_nn(inputs, mode='tensor'), p=1, dim=1)

    @torch.no_grad()
    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            raise RuntimeError('plug-and-play is inference only: train the classifier with '
                               'its own config, then build the memory with MemoryBankBuildLoop')
        logits = self.classifier(inputs, mode='tensor').float()
        if self.fusion == 'prob':
            logits = logits.softmax(1)
        logits = logits + self.nn_weight * self.nn_scores(inputs)
        if mode == 'tensor':
            return logits
        if mode == 'predict':
            return _fill_predictions(data_samples, logits)
        raise ValueError(f'unknown mode {mode!r}')


@MODELS.register_module()
class PointNNSegmentor(BaseModel):
    """Point-NN part segmentation: encoder (all levels) + decoder + part prototypes.

    Each cloud is encoded alone (``std_mode='sample'``), as the official batch size 1.
    Samples carry ``gt_label`` (shape category) and ``gt_part_label`` (N,); predictions
    go to ``pred_part_label`` (N,).
    """

    def __init__(self, backbone: dict, decoder: dict, head: dict,
                 data_preprocessor: dict | None = None, init_cfg: dict | None = None) -> None:
        super().__init__(data_preprocessor=_preprocessor(data_preprocessor),
                         init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.decoder = MODELS.build(decoder)
        self.head: PartPrototypeHead = MODELS.build(head)

    def extract_feat(self, inputs: Tensor) -> Tensor:
        """(B, N, C) -> (B, N, D) raw point features (D = 4464 with the run-script args)."""
        xyz_list, x_list = self.backbone.forward_levels(inputs[..., :3])
        return self.decoder(xyz_list, x_list)

    @torch.no_grad()
    def memory_step(self, data: dict) -> dict:
        data = self.data_preprocessor(data, False)
        feats = self.extract_feat(data['inputs'])
        protos, shapes, parts = [], [], []
        for f, ds in zip(feats, data['data_samples']):
            p, ids = self.head.prototypes(f, ds.gt_part_label.to(f.device).long())
            protos.append(p.cpu())
            parts.append(ids.cpu())
            shapes.append(torch.full_like(ids.cpu(), int(ds.gt_label)))
        return dict(protos=torch.cat(protos), shapes=torch.cat(shapes), parts=torch.cat(parts))

    def set_memory(self, records: list[dict]) -> None:
        dev = self.head.feature_memory.device
        self.head.build_memory(*[torch.cat([r[k] for r in records]).to(dev)
                                 for k in ('protos', 'shapes', 'parts')])

    @torch.no_grad()
    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            raise RuntimeError('Point-NN segmentation builds a prototype memory; use '
                               'train_cfg=dict(type="MemoryBankBuildLoop")')
        feats = self.extract_feat(inputs)
        if mode == 'tensor':
            return feats
        if mode != 'predict':
            raise ValueError(f'unknown mode {mode!r}')
        for f, ds in zip(feats, data_samples):
            logits = self.head(f, int(ds.gt_label))
            ds.set_field(logits.argmax(1).cpu(), 'pred_part_label')
        return data_samples
