"""End-of-epoch report of samples a dataset skipped (``skip_bad_samples=True``)."""
from __future__ import annotations

import logging
from collections import Counter

from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmvideofm.registry import HOOKS

SKIPPED_KEY = 'skipped_samples'


def collect_skipped(data_batch) -> list[tuple[str, str]]:
    """``(filename, reason)`` of every sample skipped to build ``data_batch``.

    Datasets record skips in the ``skipped_samples`` metainfo of the data
    samples they return, so the records survive DataLoader worker processes.
    """
    if not isinstance(data_batch, dict):
        return []
    samples = data_batch.get('data_samples') or []
    out: list[tuple[str, str]] = []
    for s in samples if isinstance(samples, (list, tuple)) else [samples]:
        meta = getattr(s, 'metainfo', None)
        if isinstance(meta, dict):
            out += [tuple(x) for x in meta.get(SKIPPED_KEY, [])]
    return out


@HOOKS.register_module()
class BadSampleReportHook(Hook):
    """Count the bad samples skipped in each train/val/test epoch and log the total.

    Each skip is already logged as it happens by the dataset; this hook adds the
    per-epoch count (summed over ranks), the most frequent files, and puts the
    count into the message hub as ``bad_samples/<mode>``.

    Args:
        max_files: how many file names to list in the report.
    """

    priority = 'LOW'

    def __init__(self, max_files: int = 10) -> None:
        self.max_files = max_files
        self._skipped: dict[str, list[tuple[str, str]]] = dict(train=[], val=[], test=[])

    def _after_iter(self, runner, batch_idx: int, data_batch=None, outputs=None,
                    mode: str = 'train') -> None:
        self._skipped[mode] += collect_skipped(data_batch)

    def _before_epoch(self, runner, mode: str = 'train') -> None:
        self._skipped[mode] = []

    def _after_epoch(self, runner, mode: str = 'train') -> None:
        skipped = self._skipped[mode]
        count = len(skipped)
        try:
            from mmengine.dist import all_reduce, get_world_size
            if get_world_size() > 1:
                import torch
                t = torch.tensor([count], dtype=torch.long)
                all_reduce(t)
                count = int(t.item())
        except Exception:  # pragma: no cover - distributed not initialised
            pass
        runner.message_hub.update_info(f'bad_samples/{mode}', count)
        if count:
            top = Counter(f for f, _ in skipped).most_common(self.max_files)
            files = ', '.join(f'{f} (x{n})' if n > 1 else f for f, n in top)
            reasons = {f: r for f, r in skipped}
            first = next(iter(reasons.items()))
            print_log(f'{count} bad sample(s) skipped in this {mode} epoch; files on this rank: '
                      f'{files}; e.g. {first[0]}: {first[1]}', logger='current',
                      level=logging.WARNING)
        else:
            print_log(f'0 bad samples skipped in this {mode} epoch', logger='current',
                      level=logging.INFO)
        self._skipped[mode] = []

    def before_train_epoch(self, runner) -> None:
        self._before_epoch(runner, 'train')

    def after_train_epoch(self, runner) -> None:
        self._after_epoch(runner, 'train')

    def before_val_epoch(self, runner) -> None:
        self._before_epoch(runner, 'val')

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._after_epoch(runner, 'val')

    def before_test_epoch(self, runner) -> None:
        self._before_epoch(runner, 'test')

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._after_epoch(runner, 'test')
