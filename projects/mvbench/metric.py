"""MVBench scoring of prediction records: per-task accuracy, Avg, leaderboard JSON.

A prediction record (one per question, also the line format of ``predictions.jsonl``)::

    {qid, task, index, video, pred, raw, answer_string, answer_letter, num_options,
     empty: bool, status: 'ok' | 'unreadable', [error]}

``Avg`` is the official micro average (total correct / total questions). Unreadable
and missing videos are excluded from both numerator and denominator and counted.
"""
import json
import os
import os.path as osp
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from mmvideofm.registry import METRICS

from .scoring import check_ans, check_ans_strict
from .tasks import TASK_NAMES

__all__ = ['score_record', 'summarize', 'format_table', 'write_outputs', 'MVBenchMetric']


def score_record(rec: dict) -> dict:
    """Add ``correct`` (official rule), ``correct_strict`` and ``check_error`` to a record."""
    rec = dict(rec)
    if rec.get('status', 'ok') != 'ok':
        return rec
    try:
        rec['correct'] = bool(check_ans(rec['pred'], rec['answer_string']))
        rec['check_error'] = None
    except IndexError as e:  # the notebook would crash here; we count and score it wrong
        rec['correct'] = False
        rec['check_error'] = f'IndexError: {e}'
    rec['correct_strict'] = check_ans_strict(rec['pred'], rec['answer_letter'],
                                             rec['num_options'])
    return rec


def summarize(records: Iterable[dict], meta: dict | None = None) -> dict:
    """Aggregate records into the result dict (leaderboard, strict, counts, notes)."""
    meta = meta or {}
    totals = meta.get('totals') or {}
    missing = meta.get('missing_videos') or {}
    order = list(TASK_NAMES)
    counts: dict[str, dict] = OrderedDict()

    def row(task):
        if task not in counts:
            counts[task] = dict(total=int(totals.get(task, 0)), scored=0, correct=0,
                                correct_strict=0, empty=0, check_errors=0, unreadable=0,
                                missing_video=int(missing.get(task, 0)))
        return counts[task]

    seen = set()
    for rec in records:
        if rec['qid'] in seen:  # duplicates (padding of distributed samplers, re-runs)
            continue
        seen.add(rec['qid'])
        rec = rec if 'correct' in rec or rec.get('status', 'ok') != 'ok' else score_record(rec)
        c = row(rec['task'])
        if rec.get('status', 'ok') != 'ok':
            c['unreadable'] += 1
            continue
        c['scored'] += 1
        c['correct'] += int(rec['correct'])
        c['correct_strict'] += int(rec['correct_strict'])
        c['empty'] += int(bool(rec.get('empty')))
        c['check_errors'] += int(rec.get('check_error') is not None)
    for task in totals:
        row(task)
    ordered = sorted(counts, key=lambda t: order.index(t) if t in order else len(order))
    leaderboard, strict = OrderedDict(), OrderedDict()
    n = k = ks = 0
    for task in ordered:
        c = counts[task]
        if c['scored'] == 0:
            continue
        leaderboard[task] = c['correct'] / c['scored'] * 100
        strict[task] = c['correct_strict'] / c['scored'] * 100
        n, k, ks = n + c['scored'], k + c['correct'], ks + c['correct_strict']
    leaderboard['Avg'] = k / n * 100 if n else 0.0
    strict['Avg'] = ks / n * 100 if n else 0.0
    # comparable with the published leaderboard only under the official protocol, with
    # all 20 tasks and every video scored
    excluded = sum(c['unreadable'] + c['missing_video'] for c in counts.values())
    comparable = (meta.get('layout', 'main') == 'main' and excluded == 0
                  and set(TASK_NAMES) <= set(leaderboard))
    return dict(
        leaderboard=leaderboard, strict=strict, counts={t: counts[t] for t in ordered},
        num_scored=n, num_correct=k,
        num_empty=sum(c['empty'] for c in counts.values()),
        num_unreadable=sum(c['unreadable'] for c in counts.values()),
        num_missing_video=sum(c['missing_video'] for c in counts.values()),
        num_check_errors=sum(c['check_errors'] for c in counts.values()),
        layout=meta.get('layout', 'main'), layout_label=meta.get('layout_label', ''),
        comparable_with_leaderboard=comparable,
        missing_tasks=list(meta.get('missing_tasks') or []),
        revision=meta.get('revision'),
        scoring=('leaderboard = official check_ans substring rule (empty answers count as '
                 'correct); strict = first option letter must equal the answer letter'))


def format_table(summary: dict) -> str:
    """A fixed-width per-task table for logs."""
    lines = [f'{"task":<26}{"acc":>7}{"strict":>8}{"n":>6}{"empty":>7}{"unread":>7}'
             f'{"missing":>8}']
    for task, c in summary['counts'].items():
        acc = summary['leaderboard'].get(task)
        st = summary['strict'].get(task)
        lines.append(f'{task:<26}{acc if acc is not None else float("nan"):>7.2f}'
                     f'{st if st is not None else float("nan"):>8.2f}{c["scored"]:>6}'
                     f'{c["empty"]:>7}{c["unreadable"]:>7}{c["missing_video"]:>8}')
    lines.append(f'{"Avg":<26}{summary["leaderboard"]["Avg"]:>7.2f}'
                 f'{summary["strict"]["Avg"]:>8.2f}{summary["num_scored"]:>6}'
                 f'{summary["num_empty"]:>7}{summary["num_unreadable"]:>7}'
                 f'{summary["num_missing_video"]:>8}')
    if summary.get('layout') != 'main':
        lines.append(f'layout: {summary.get("layout_label") or summary.get("layout")}')
    if not summary.get('comparable_with_leaderboard'):
        lines.append('NOTE: not comparable with the published leaderboard (non-official '
                     'layout, excluded videos or missing tasks)')
    return '\n'.join(lines)


def write_outputs(out_dir: str, summary: dict, records: Sequence[dict] | None = None) -> None:
    """``leaderboard.json`` (official format: ``{task: acc, ..., "Avg": acc}``),
    ``results.json`` (everything) and, if given, ``predictions.jsonl``."""
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'leaderboard.json'), 'w') as f:
        json.dump(summary['leaderboard'], f, indent=2)
    with open(osp.join(out_dir, 'results.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    if records is not None:
        with open(osp.join(out_dir, 'predictions.jsonl'), 'w') as f:
            for rec in records:
                f.write(json.dumps(rec) + '\n')


@METRICS.register_module()
class MVBenchMetric(BaseMetric):
    """Per-task accuracy + Avg (official rule), strict parse beside it, output files.

    Args:
        out_dir: where ``leaderboard.json``, ``results.json`` and ``predictions.jsonl``
            go; ``None`` = the runner's log dir (if known).
    """

    default_prefix = 'mvbench'

    def __init__(self, out_dir: str | None = None, collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.out_dir = out_dir

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for rec in data_samples:
            self.results.append(score_record(rec))

    def compute_metrics(self, results: list) -> dict:
        meta = dict(self.dataset_meta or {})
        summary = summarize(results, meta)
        print_log('MVBench results\n' + format_table(summary), logger='current')
        for task, n in summary['counts'].items():
            if n['missing_video'] or n['unreadable']:
                print_log(f'MVBench: {task}: {n["missing_video"]} missing and '
                          f'{n["unreadable"]} unreadable videos excluded', logger='current',
                          level=30)
        out_dir = self.out_dir
        if out_dir is None:
            log_file = getattr(MMLogger.get_current_instance(), 'log_file', None)
            out_dir = osp.dirname(log_file) if log_file else None
        if out_dir:
            write_outputs(out_dir, summary, sorted(results, key=lambda r: r['qid']))
            print_log(f'MVBench leaderboard JSON and predictions written to {out_dir}',
                      logger='current')
        metrics = {k: v for k, v in summary['leaderboard'].items()}
        metrics.update({f'strict/{k}': v for k, v in summary['strict'].items()})
        metrics.update(num_empty=summary['num_empty'],
                       num_excluded=summary['num_unreadable'] + summary['num_missing_video'])
        return metrics
