"""End-of-epoch report of samples a dataset skipped (``skip_bad_samples=True``)."""
from __future__ import annotations

import logging

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


def _union_over_ranks(bad: dict[str, str]) -> dict[str, str]:
    """The union of every rank's ``{filename: reason}`` (the input when not distributed)."""
    from mmengine.dist import all_gather_object, get_world_size
    if get_world_size() <= 1:
        return bad
    out: dict[str, str] = {}
    for part in all_gather_object(bad):
        for f, r in part.items():
            out.setdefault(f, r)
    return out


@HOOKS.register_module()
class BadSampleReportHook(Hook):
    """Report the distinct bad files skipped in each train/val/test epoch, with reasons.

    The dataset logs each bad file when it first meets it; this hook adds the
    per-epoch summary: how many distinct files were skipped (over all ranks; a
    file skipped again while another index looked for a readable neighbour counts
    once), each with its reason, and puts the count into the message hub as
    ``bad_samples/<mode>``.

    Args:
        max_files: how many files (with reasons) to list in the report.
    """

    priority = 'LOW'

    def __init__(self, max_files: int = 20) -> None:
        self.max_files = max_files
        self._skipped: dict[str, dict[str, str]] = dict(train={}, val={}, test={})

    def _after_iter(self, runner, batch_idx: int, data_batch=None, outputs=None,
                    mode: str = 'train') -> None:
        for fname, reason in collect_skipped(data_batch):
            self._skipped[mode].setdefault(fname, reason)

    def _before_epoch(self, runner, mode: str = 'train') -> None:
        self._skipped[mode] = {}

    def _after_epoch(self, runner, mode: str = 'train') -> None:
        bad = _union_over_ranks(self._skipped[mode])
        count = len(bad)
        runner.message_hub.update_info(f'bad_samples/{mode}', count)
        if count:
            lines = [f'  {f}: {r}' for f, r in sorted(bad.items())[:self.max_files]]
            if count > self.max_files:
                lines.append(f'  ... and {count - self.max_files} more')
            print_log(f'{count} bad sample(s) skipped in this {mode} epoch (distinct files):\n'
                      + '\n'.join(lines), logger='current', level=logging.WARNING)
        else:
            print_log(f'0 bad samples skipped in this {mode} epoch', logger='current',
                      level=logging.INFO)
        self._skipped[mode] = {}

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
