"""Logit distillation: a frozen teacher recognizer teaches a student recognizer.

VideoMAE V2 distilled its K710 fine-tuned ViT-g into ViT-S/B this way (the students start
from their post-pretrained weights; no official code is released). The teacher is a config
slot: built from a dict, frozen (``requires_grad=False``), run under ``no_grad`` and kept in
eval mode whatever ``train()`` is called with.
"""
from __future__ import annotations

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from torch import nn

from mmvideofm.registry import MODELS

__all__ = ['LogitDistiller']


@MODELS.register_module()
class LogitDistiller(BaseModel):
    """Teacher recognizer -> student recognizer by logit distillation.

    ``loss = distill_loss(student_logits, teacher_logits)
    + hard_label_weight * student_head.loss_by_feat(student_logits, labels)``.

    Args:
        student: Student recognizer config (e.g. ``Recognizer3D`` + ``VideoViT`` +
            ``TimeSformerHead``); its ``init_cfg`` may point at post-pretrained weights.
        teacher: Teacher recognizer config with the same number of classes.
        teacher_ckpt: Teacher weights (official, mmaction2 or mmvideofm file; converted with
            the ``videomaev2`` converter), loaded in :meth:`init_weights`. ``None`` leaves the
            teacher as built (e.g. when its ``init_cfg`` loads it).
        distill_loss: :class:`LogitDistillLoss` config.
        hard_label_weight: Weight of the student's own classification loss (0 = pure
            distillation, as the released students).
        data_preprocessor: ``ActionDataPreprocessor`` config shared by both models.
    """

    def __init__(self,
                 student: dict,
                 teacher: dict,
                 teacher_ckpt: str | None = None,
                 distill_loss: dict | None = None,
                 hard_label_weight: float = 0.,
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.student = MODELS.build(student)
        self.teacher = MODELS.build(teacher)
        self.teacher_ckpt = teacher_ckpt
        self.hard_label_weight = float(hard_label_weight)
        self.distill_loss = MODELS.build(distill_loss or dict(type='LogitDistillLoss'))
        self.freeze_teacher()

    def freeze_teacher(self) -> None:
        """No gradients, eval mode (dropout / drop path off) for the teacher."""
        self.teacher.eval()
        for p in self.teacher.parameters():
            p.requires_grad_(False)

    def train(self, mode: bool = True) -> LogitDistiller:
        super().train(mode)
        self.teacher.eval()  # the teacher never trains
        return self

    def init_weights(self) -> None:
        super().init_weights()
        if self.teacher_ckpt is not None:
            from projects.videomaev2.init import load_videomaev2_weights
            load_videomaev2_weights(self.teacher, self.teacher_ckpt, strict=True)
            print_log(f'LogitDistiller: teacher loaded from {self.teacher_ckpt}',
                      logger='current')
        self.freeze_teacher()

    @staticmethod
    def _logits(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
        feats, _ = model.extract_feat(inputs)  # folds views: (N*V, C)
        return model.cls_head(feats)  # (N*V, num_classes)

    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            teacher_logits = self._logits(self.teacher, inputs)
        student_logits = self._logits(self.student, inputs)
        losses = dict(loss_distill=self.distill_loss(student_logits, teacher_logits))
        if self.hard_label_weight > 0:
            hard = self.student.cls_head.loss_by_feat(student_logits, data_samples)
            losses['loss_cls'] = self.hard_label_weight * hard.pop('loss_cls')
            losses.update(hard)  # top-k accuracies, logged only
        return losses

    def predict(self, inputs: torch.Tensor, data_samples: list) -> list:
        return self.student.predict(inputs, data_samples)

    def forward(self, inputs: torch.Tensor, data_samples: list | None = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._logits(self.student, inputs)
        raise RuntimeError(f'Invalid mode {mode!r}: use "loss", "predict" or "tensor"')
