"""Hooks used only by the runner tests (imported through ``custom_imports``)."""
import os
import time

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmvideofm.registry import HOOKS


@HOOKS.register_module(force=True)
class HangAfterEpochHook(Hook):
    """After ``epoch``'s checkpoint is written, hang so the test can kill the run."""

    priority = 'LOWEST'

    def __init__(self, epoch: int = 1, seconds: float = 120.) -> None:
        self.epoch, self.seconds = epoch, seconds

    def after_train_epoch(self, runner) -> None:
        if runner.epoch + 1 == self.epoch:  # runner.epoch counts from 0 until the epoch ends
            open(os.path.join(runner.work_dir, 'HANGING'), 'w').close()
            time.sleep(self.seconds)


@HOOKS.register_module(force=True)
class HangAfterIterHook(Hook):
    """After iteration ``iter`` (counted from 1) and its checkpoint, hang to be killed."""

    priority = 'LOWEST'

    def __init__(self, iter: int = 1, seconds: float = 120.) -> None:
        self.iter, self.seconds = iter, seconds

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.iter:
            open(os.path.join(runner.work_dir, 'HANGING'), 'w').close()
            time.sleep(self.seconds)


@HOOKS.register_module(force=True)
class DumpWeightsHook(Hook):
    """Every rank saves its final weights, so a test can compare DDP replicas."""

    def after_train(self, runner) -> None:
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        torch.save(model.state_dict(), os.path.join(runner.work_dir, f'weights_rank{get_rank()}.pt'))
