"""Engine hooks shared by every plugin."""
from __future__ import annotations

import json
import os

from mmengine.hooks import Hook

from mmvideofm.registry import HOOKS


@HOOKS.register_module()
class TrainingCurveHook(Hook):
    """Write ``training_curve.png`` (train loss, validation metrics) and a JSON twin.

    Runs on rank 0 only; headless (matplotlib Agg). Updated after every
    validation and at the end of training, so an interrupted run keeps its curve.
    """

    priority = 'VERY_LOW'

    def __init__(self, filename: str = 'training_curve.png') -> None:
        self.filename = filename
        self.train: list[tuple[int, float]] = []
        self.val: dict[str, list[tuple[int, float]]] = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if outputs and 'loss' in outputs:
            self.train.append((runner.iter + 1, float(outputs['loss'].detach())))

    def after_val_epoch(self, runner, metrics=None) -> None:
        for key, value in (metrics or {}).items():
            if isinstance(value, (int, float)):
                self.val.setdefault(key, []).append((runner.iter, float(value)))
        self._save(runner)

    def after_train(self, runner) -> None:
        self._save(runner)

    def _save(self, runner) -> None:
        from mmengine.dist import is_main_process
        if not is_main_process() or not self.train:
            return
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(1, 2 if self.val else 1, figsize=(10 if self.val else 5, 3.5))
        axes = list(ax) if self.val else [ax]
        steps, losses = zip(*self.train)
        axes[0].plot(steps, losses, lw=0.8)
        axes[0].set(xlabel='iteration', ylabel='train loss', title='loss')
        if self.val:
            for key, points in self.val.items():
                x, y = zip(*points)
                axes[1].plot(x, y, marker='o', label=key)
            axes[1].set(xlabel='iteration', title='validation')
            axes[1].legend(fontsize=7)
        fig.tight_layout()
        path = os.path.join(runner.work_dir, self.filename)
        fig.savefig(path, dpi=100)
        plt.close(fig)
        with open(os.path.splitext(path)[0] + '.json', 'w') as f:
            json.dump({'train_loss': self.train, 'val': self.val}, f)
