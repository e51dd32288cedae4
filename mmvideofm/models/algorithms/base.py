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

__all__ = ['BaseVideoAlgorithm', 'build_data_preprocessor', 'build_teacher']

MODES = ('loss', 'predict', 'tensor')


def build_data_preprocessor(cfg: dict | nn.Module | None) -> nn.Module | None:
    """Build through mmvideofm's registry, so mmaction2 types resolve without a scope."""
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    return MODELS.build(dict(cfg))


def build_teacher(cfg: dict | nn.Module | None) -> nn.Module | None:
    """Build a teacher (config or module) and freeze it."""
    if cfg is None:
        return None
    teacher = MODELS.build(cfg) if isinstance(cfg, dict) else cfg
    teacher.requires_grad_(False)
    teacher.eval()
    return teacher


class BaseVideoAlgorithm(BaseModel, metaclass=ABCMeta):
    """Base of the video algorithms.

    Args:
        data_preprocessor: Config (built through mmvideofm's registry) or module; ``None``
            uses the class's :attr:`default_data_preprocessor` (if any, else mmengine's).
        teacher: Optional frozen teacher config (or module): built here, ``requires_grad``
            off, kept in eval mode through ``train()`` calls, run by the subclass under
            ``no_grad``; frozen parameters never reach the optimizer (mmvideofm's optimizer
            constructors skip them). Its weights come from its own ``init_cfg``.
        save_teacher: Keep ``teacher.*`` in ``state_dict()`` (and so in checkpoints). Either
            way a checkpoint without ``teacher.*`` loads (strict too): the teacher keeps the
            weights its ``init_cfg`` gave it.
        seed: Seed of the algorithm's own ``torch.Generator`` (masks, negative sampling).
            The generator of rank ``r`` is seeded with ``seed + r`` so DDP ranks draw
            different masks; ``None`` takes the runner's seed (``randomness.seed``, read
            from ``torch.initial_seed()`` at the first draw) plus the rank.
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
        self._pending_rng_state: torch.Tensor | None = None
        self.save_teacher = save_teacher
        self.teacher = build_teacher(teacher)
        self._register_state_dict_hook(_drop_teacher_keys)
        self.register_load_state_dict_post_hook(_forgive_missing_teacher_keys)

    # ------------------------------------------------------------------ teacher slot
    @property
    def with_teacher(self) -> bool:
        return getattr(self, 'teacher', None) is not None

    @property
    def optional_state_prefixes(self) -> tuple[str, ...]:
        """Key prefixes a checkpoint may lack (``'teacher.'``): left out of ``state_dict()``
        unless ``save_teacher``, still loaded when present, never reported missing."""
        return ('teacher.', ) if self.with_teacher else ()

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
        """The algorithm's generator on ``device``, seeded ``seed + rank`` on first use.

        A state given to :meth:`set_rng_state` is restored here instead of seeding.
        """
        device = torch.device(device)
        if device.type == 'cuda' and device.index is None:
            device = torch.device('cuda', torch.cuda.current_device())
        gen = self._generator
        if gen is None or gen.device != device:
            state = self._pending_rng_state
            if state is None and gen is not None and gen.device.type == device.type:
                state = gen.get_state()  # same kind of generator on another device
            gen = torch.Generator(device=device)
            if state is not None:
                gen.set_state(state)
            else:
                seed = torch.initial_seed() if self.seed is None else int(self.seed)
                gen.manual_seed((seed + get_rank()) % 2**63)
            self._generator, self._pending_rng_state = gen, None
        return gen

    def get_rng_state(self) -> torch.Tensor | None:
        """State of the algorithm's generator (``None`` before its first draw)."""
        if self._generator is None:
            return self._pending_rng_state
        return self._generator.get_state()

    def set_rng_state(self, state: torch.Tensor | None,
                      device: torch.device | str | None = None) -> None:
        """Restore :meth:`get_rng_state` (exact resume of the masks).

        With ``device=None`` the state is applied by the next :meth:`generator` call, on the
        device the algorithm draws on (a CUDA state needs a CUDA generator).
        """
        self._generator, self._pending_rng_state = None, state
        if state is not None and device is not None:
            self.generator(device)

    @property
    def mask_seed(self) -> int | None:
        """Former name of :attr:`seed` (UMT / VideoMAE V2 configs)."""
        return self.seed

    @mask_seed.setter
    def mask_seed(self, value: int | None) -> None:
        self.seed, self._generator = value, None

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
        raise RuntimeError(f'invalid mode {mode!r} for {type(self).__name__}: use one of '
                           f'{", ".join(repr(m) for m in MODES)}')


def _drop_teacher_keys(module: BaseVideoAlgorithm, state: OrderedDict, prefix: str,
                       local_metadata: dict) -> OrderedDict:
    """``state_dict`` hook: leave ``teacher.*`` out unless ``save_teacher``.

    Also run by mmengine's ``get_state_dict`` (it calls ``_state_dict_hooks`` itself).
    """
    if module.save_teacher or not module.with_teacher:
        return state
    head = prefix + 'teacher.'
    for key in [k for k in state if k.startswith(head)]:
        del state[key]
    return state


def _forgive_missing_teacher_keys(module: BaseVideoAlgorithm, incompatible_keys) -> None:
    """``load_state_dict`` post hook: a checkpoint without ``teacher.*`` is complete.

    Keys carry the prefix of wherever this module sits (``module.`` under an EMA wrapper);
    torch and mmengine both let the hook edit ``missing_keys`` in place.
    """
    if not module.with_teacher or not incompatible_keys.missing_keys:
        return
    own = {'teacher.' + k for k in module.teacher.state_dict()}
    missing = incompatible_keys.missing_keys
    missing[:] = [k for k in missing if not _ends_with_key(k, own)]


def _ends_with_key(key: str, names: set[str]) -> bool:
    """Whether ``key`` is ``<prefix.>name`` for a name in ``names``."""
    start = key.find('teacher.')
    while start >= 0:
        if (start == 0 or key[start - 1] == '.') and key[start:] in names:
            return True
        start = key.find('teacher.', start + 1)
    return False
