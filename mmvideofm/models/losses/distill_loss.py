"""Logit distillation loss (Hinton et al., 2015): student matches the teacher's soft labels.

Used by VideoMAE V2 to distil its ViT-g (K710 fine-tuned) into ViT-S/B. The official code for
that step is not released; this is the standard temperature-scaled KL divergence.
"""
import torch
import torch.nn.functional as F
from torch import nn

from mmvideofm.registry import MODELS

__all__ = ['LogitDistillLoss']


@MODELS.register_module()
class LogitDistillLoss(nn.Module):
    """``T^2 * KL(softmax(teacher / T) || softmax(student / T))``, mean over the batch.

    Args:
        temperature: Softening temperature ``T`` (> 0).
        loss_weight: Multiplier of the loss.
    """

    def __init__(self, temperature: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = float(temperature)
        self.loss_weight = loss_weight

    def forward(self, student_logits: torch.Tensor,
                teacher_logits: torch.Tensor) -> torch.Tensor:
        """Both ``(B, num_classes)``; the teacher side carries no gradient."""
        if student_logits.shape != teacher_logits.shape:
            raise ValueError(f'student logits {tuple(student_logits.shape)} and teacher logits '
                             f'{tuple(teacher_logits.shape)} differ')
        t = self.temperature
        log_p_s = F.log_softmax(student_logits.float() / t, dim=-1)
        log_p_t = F.log_softmax(teacher_logits.detach().float() / t, dim=-1)
        kl = F.kl_div(log_p_s, log_p_t, reduction='batchmean', log_target=True)
        return self.loss_weight * kl * t * t
