"""Runner integration: Point-NN "training" is building the memory bank.

``train_cfg = dict(type='MemoryBankBuildLoop')`` runs the training dataloader once
through ``model.memory_step`` in eval mode, stores the bank with ``model.set_memory``
and triggers the epoch hooks, so ``CheckpointHook`` saves it (``epoch_1.pth``).
Models without trainable parameters use ``NonParametricOptimWrapperConstructor``.
"""
from __future__ import annotations

import time

import torch
from mmengine.dist import all_gather_object, get_world_size
from mmengine.optim import OptimWrapper
from mmengine.optim.optimizer import DefaultOptimWrapperConstructor
from mmengine.runner.base_loop import BaseLoop

from mmvideofm.registry import LOOPS, OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ['MemoryBankBuildLoop', 'NonParametricOptimWrapperConstructor']


@LOOPS.register_module()
class MemoryBankBuildLoop(BaseLoop):
    """One pass over the training data that fills the model's memory bank.

    Args:
        select_gamma: also pick ``gamma`` by leave-one-out accuracy on the memory itself
            (no test data; only for ``PointNNClassifier``); the value is logged and set.
    """

    def __init__(self, runner, dataloader, select_gamma: bool = False) -> None:
        super().__init__(runner, dataloader)
        self.select_gamma = select_gamma
        self._epoch = self._iter = 0

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def iter(self) -> int:
        return self._iter

    @property
    def max_epochs(self) -> int:
        return 1

    @property
    def max_iters(self) -> int:
        return len(self.dataloader)

    def run(self):
        runner = self.runner
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        if not (hasattr(model, 'memory_step') and hasattr(model, 'set_memory')):
            raise TypeError(f'{type(model).__name__} has no memory_step/set_memory; '
                            'MemoryBankBuildLoop is for Point-NN style models')
        runner.call_hook('before_train')
        runner.call_hook('before_train_epoch')
        model.eval()
        start, records = time.time(), []
        with torch.no_grad():
            for idx, data_batch in enumerate(self.dataloader):
                records.append(model.memory_step(data_batch))
                self._iter += 1
                if (idx + 1) % 20 == 0 or idx + 1 == len(self.dataloader):
                    runner.logger.info(f'memory bank: batch {idx + 1}/{len(self.dataloader)}')
        if get_world_size() > 1:  # every rank saw a shard: build the bank from all of them
            records = [r for part in all_gather_object(records) for r in part]
        model.set_memory(records)
        runner.logger.info(f'memory bank built in {time.time() - start:.1f} s')
        if self.select_gamma:
            acc, gamma = model.select_gamma_on_train()
            model.head.gamma.fill_(gamma)
            runner.logger.info(f'gamma={gamma} selected by leave-one-out on the memory '
                               f'(train LOO acc {acc:.2f}%)')
        runner.call_hook('after_train_epoch')
        self._epoch += 1
        runner.call_hook('after_train')
        return runner.model


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class NonParametricOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """An optimizer over a placeholder when the model has no trainable parameter
    (mmengine requires one whenever ``train_cfg`` is set); never stepped."""

    def __call__(self, model) -> OptimWrapper:
        if any(p.requires_grad for p in model.parameters()):
            return super().__call__(model)
        placeholder = torch.nn.Parameter(torch.zeros(1))
        return OptimWrapper(torch.optim.SGD([placeholder], lr=0.0))
