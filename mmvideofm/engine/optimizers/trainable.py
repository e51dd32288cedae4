"""mmengine's default optimizer constructor, minus the frozen parameters.

A frozen teacher (UMT's CLIP, the distiller's ViT-g) or a fixed table has
``requires_grad=False``. mmengine's ``DefaultOptimWrapperConstructor`` puts such parameters in
the optimizer when there is no ``paramwise_cfg`` and logs one WARNING per parameter ("... is
skipped since its requires_grad=False") when there is one. This subclass leaves them out in
both cases and logs one INFO line instead. It is registered in mmvideofm's scope under
mmengine's name too, so every config (``default_scope='mmvideofm'``) gets it without a
``constructor`` key; ``constructor='mmengine.DefaultOptimWrapperConstructor'`` gets mmengine's.
"""
from __future__ import annotations

import logging
from collections import Counter

from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn

from mmvideofm.registry import OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ['TrainableOptimWrapperConstructor']

_SKIP_MESSAGE = 'is skipped since its requires_grad=False'


class _DropFrozenSkipLines(logging.Filter):
    """Drop mmengine's per-parameter "skipped since its requires_grad=False" records."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _SKIP_MESSAGE not in record.getMessage()


class _TrainableParameters:
    """The model as mmengine's constructor sees it without ``paramwise_cfg``:
    ``parameters()``, here only the trainable ones."""

    def __init__(self, model: nn.Module) -> None:
        self._model = model

    def parameters(self):
        return (p for p in self._model.parameters() if p.requires_grad)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module(
    name=['TrainableOptimWrapperConstructor', 'DefaultOptimWrapperConstructor'])
class TrainableOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``DefaultOptimWrapperConstructor`` whose optimizer holds only trainable parameters."""

    def __call__(self, model: nn.Module) -> OptimWrapper:
        model = getattr(model, 'module', model)  # DDP / FSDP wrappers, as mmengine does
        frozen = Counter(name.split('.')[0] for name, p in model.named_parameters()
                         if not p.requires_grad)
        if frozen:
            print_log(f'{sum(frozen.values())} frozen parameters left out of the optimizer ('
                      + ', '.join(f'{k}.*: {n}' for k, n in frozen.items()) + ')',
                      logger='current')
        target = model if self.paramwise_cfg or not frozen else _TrainableParameters(model)
        logger = MMLogger.get_current_instance()
        quiet = _DropFrozenSkipLines()
        logger.addFilter(quiet)
        try:
            return super().__call__(target)
        finally:
            logger.removeFilter(quiet)
