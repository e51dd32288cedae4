"""The one algorithm base: data preprocessor, ``forward(mode)``, mask generator, teacher slot.

Every pretraining / distillation algorithm (UMT stage 1 and 2, VideoMAE V2, the logit
distiller, ViCLIP, Harvest, VideoChat2 stage 1, ...) subclasses :class:`BaseVideoAlgorithm`
and keeps only its paper-specific parts: ``loss`` (reads like the paper's figure),
``extract_feat`` and, where it predicts, ``predict``. As mmpretrain's ``BaseSelfSupervisor``.
"""
from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections import OrderedDict
from typing import ClassVar

import torch
from mmengine.dist import get_rank
from mmengine.model import BaseModel
from torch import nn

from mmvideofm.registry import MODELS

__all__ = ['BaseVideoAlgorithm', 'build_data_preprocessor']


def build_data_preprocessor(cfg: dict | nn.Module | None) -> nn.Module | None:
    """Build through mmvideofm's registry, so mmaction2 types resolve without a scope."""
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    return MODELS.build(dict(cfg))


class BaseVideoAlgorithm(BaseModel, metaclass=ABCMeta):
    """Base of the video algorithms.

    Args:
        data_preprocessor: Config (built through mmvideofm's registry) or module; ``None``
            uses the class's :attr:`default_data_preprocessor` (if any, else mmengine's).
        teacher: Optional frozen teacher config (or module): built here, ``requires_grad``
            off, kept in eval mode through ``train()`` calls, run by the subclass under
            ``no_grad``, left out of the optimizer and of saved state dicts.
        save_teacher: Keep ``teacher.*`` in ``state_dict()`` (and so in checkpoints).
        seed: Seed of the algorithm's own ``torch.Generator`` (masks, negative sampling).
            The generator of rank ``r`` is seeded with ``seed + r`` so DDP ranks draw
            different masks; ``None`` takes the runner's seed (``randomness.seed``, read
            from ``torch.initial_seed()``) plus the rank.
        init_cfg: mmengine init config.
    """

    #: Data preprocessor used when the config gives none (``None``: mmengine's default).
    default_data_preprocessor: ClassVar[dict | None] = None

    def __init__(self,
                 data_preprocessor: dict | nn.Module | None = None,
                 teacher: dict | nn.Module | None = None,
                 save_teacher: bool = False,
                 seed: int | None = None,
                 init_cfg: dict | list | None = None) -> None:
        if data_preprocessor is None and self.default_data_preprocessor is not None:
            data_preprocessor = dict(self.default_data_preprocessor)
        super().__init__(data_preprocessor=build_data_preprocessor(data_preprocessor),
                         init_cfg=init_cfg)
        self.seed = seed
        self._generator: torch.Generator | None = None
        self.save_teacher = save_teacher
        self.teacher = build_teacher(teacher)
        self._register_state_dict_hook(_drop_teacher_keys)

    # ------------------------------------------------------------------ teacher slot
    @property
    def with_teacher(self) -> bool:
        return getattr(self, 'teacher', None) is not None

    def freeze_teacher(self) -> None:
        """No gradients and eval mode (dropout / drop path off) for the teacher."""
        if self.with_teacher:
            self.teacher.requires_grad_(False)
            self.teacher.eval()

    def train(self, mode: bool = True) -> BaseVideoAlgorithm:
        super().train(mode)
        if self.with_teacher:
            self.teacher.train(False)  # the teacher never trains
        return self

    def init_weights(self) -> None:
        super().init_weights()
        self.freeze_teacher()  # a teacher loaded by its init_cfg stays frozen

    # ------------------------------------------------------------------ randomness
    def generator(self, device: torch.device | str = 'cpu') -> torch.Generator:
        """The algorithm's generator on ``device``, seeded ``seed + rank`` on first use."""
        device = torch.device(device)
        if self._generator is None or self._generator.device != device:
            seed = torch.initial_seed() if self.seed is None else int(self.seed)
            state = None if self._generator is None else self._generator.get_state()
            self._generator = torch.Generator(device=device)
            if state is not None and device.type == 'cpu':
                self._generator.set_state(state)
            else:
                self._generator.manual_seed((seed + get_rank()) % 2 ** 63)
        return self._generator

    def get_rng_state(self) -> torch.Tensor | None:
        """State of the algorithm's generator (``None`` before its first draw)."""
        return None if self._generator is None else self._generator.get_state()

    def set_rng_state(self, state: torch.Tensor | None, device: torch.device | str = 'cpu'
                      ) -> None:
        """Restore :meth:`get_rng_state` (exact resume of the masks)."""
        if state is None:
            self._generator = None
            return
        self._generator = torch.Generator(device=torch.device(device))
        self._generator.set_state(state)

    # ------------------------------------------------------------------ API
    @abstractmethod
    def loss(self, inputs: torch.Tensor, data_samples: list | None = None
             ) -> dict[str, torch.Tensor]:
        """Named losses ``{'loss_<paper term>': ...}``."""

    @abstractmethod
    def extract_feat(self, inputs: torch.Tensor):
        """Features of the inputs (``mode='tensor'``)."""

    def predict(self, inputs: torch.Tensor, data_samples: list | None = None) -> list:
        raise RuntimeError(f'{type(self).__name__} has no predict mode; use mode="loss" or '
                           '"tensor" (for recognition, fine-tune its backbone in a '
                           'Recognizer3D config)')

    def forward(self, inputs: torch.Tensor, data_samples: list | None = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        raise RuntimeError(f'invalid mode {mode!r} for {type(self).__name__}: use "loss", '
                           '"predict" or "tensor"')


def build_teacher(cfg: dict | nn.Module | None) -> nn.Module | None:
    """Build a teacher (config or module) and freeze it."""
    if cfg is None:
        return None
    teacher = MODELS.build(cfg) if isinstance(cfg, dict) else cfg
    teacher.requires_grad_(False)
    teacher.eval()
    return teacher


def _drop_teacher_keys(module: BaseVideoAlgorithm, state: OrderedDict, prefix: str,
                       local_metadata: dict) -> OrderedDict:
    """``state_dict`` hook: leave ``teacher.*`` out unless ``save_teacher``."""
    if module.save_teacher or not module.with_teacher:
        return state
    head = prefix + 'teacher.'
    for key in [k for k in state if k.startswith(head)]:
        del state[key]
    return state
