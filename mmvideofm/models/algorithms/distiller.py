"""Logit distillation: a frozen teacher recognizer teaches a student recognizer.

VideoMAE V2 distilled its K710 fine-tuned ViT-g into ViT-S/B this way (the students start
from their post-pretrained weights; no official code is released). The teacher sits in the
base's slot: frozen, run under ``no_grad``, eval whatever ``train()`` is called with.
"""
from __future__ import annotations

import torch
from mmengine.logging import print_log
from torch import nn

from mmvideofm.checkpoint import get_converter, load_converted_weights
from mmvideofm.registry import MODELS

from .base import BaseVideoAlgorithm

__all__ = ['LogitDistiller']


@MODELS.register_module()
class LogitDistiller(BaseVideoAlgorithm):
    """Teacher recognizer -> student recognizer by logit distillation.

    ``loss = distill_loss(student_logits, teacher_logits)
    + hard_label_weight * student_head.loss_by_feat(student_logits, labels)``.

    Args:
        student: Student recognizer config (e.g. ``Recognizer3D`` + ``VideoViT`` +
            ``TimeSformerHead``); its ``init_cfg`` may point at post-pretrained weights.
        teacher: Teacher recognizer config with the same number of classes; its weights come
            from its own ``init_cfg`` or from ``teacher_ckpt``.
        teacher_ckpt: Teacher weights loaded (strictly) in :meth:`init_weights`; ``None``
            leaves the teacher as its ``init_cfg`` made it.
        teacher_converter: Registered converter name (e.g. ``'videomaev2'``) applied to
            ``teacher_ckpt`` first; ``None`` expects mmvideofm keys.
        distill_loss: :class:`LogitDistillLoss` config.
        hard_label_weight: Weight of the student's own classification loss (0 = pure
            distillation, as the released students).
        save_teacher: Keep ``teacher.*`` in saved checkpoints.
        data_preprocessor: ``ActionDataPreprocessor`` config shared by both models.
    """

    def __init__(self,
                 student: dict,
                 teacher: dict,
                 teacher_ckpt: str | None = None,
                 teacher_converter: str | None = None,
                 distill_loss: dict | None = None,
                 hard_label_weight: float = 0.,
                 save_teacher: bool = False,
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, teacher=teacher,
                         save_teacher=save_teacher, init_cfg=init_cfg)
        if teacher_converter is not None:
            get_converter(teacher_converter)  # a wrong name fails at build, not after init
        self.student = MODELS.build(student)
        self.teacher_ckpt = teacher_ckpt
        self.teacher_converter = teacher_converter
        self.hard_label_weight = float(hard_label_weight)
        self.distill_loss = MODELS.build(distill_loss or dict(type='LogitDistillLoss'))

    def init_weights(self) -> None:
        super().init_weights()
        if self.teacher_ckpt is not None:
            convert = (get_converter(self.teacher_converter)
                       if self.teacher_converter is not None else dict)
            load_converted_weights(self.teacher, self.teacher_ckpt,
                                   lambda sd, _module: convert(sd), strict=True,
                                   converter_hint=self.teacher_converter)
            print_log(f'LogitDistiller: teacher loaded from {self.teacher_ckpt}',
                      logger='current')
        self.freeze_teacher()

    @staticmethod
    def _logits(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
        feats, _ = model.extract_feat(inputs)  # folds views: (N*V, C)
        return model.cls_head(feats)  # (N*V, num_classes)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Student logits (``mode='tensor'``)."""
        return self._logits(self.student, inputs)

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
