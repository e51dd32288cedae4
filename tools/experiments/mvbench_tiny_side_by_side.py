"""VideoChat-Text, VideoChat-Embed and VideoChat2 side by side on the tiny synthetic MVBench
(seed 0): per task and Avg (official rule), all frames and single frame, next to chance.

    .venv/bin/python tools/experiments/mvbench_tiny_side_by_side.py
        [--videochat DIR [DIR ...]] [--videochat2 DIR] [--run-missing] [--out FILE]

Reads ``<DIR>/results.json`` of ``videochat_synthetic.py`` (several: e.g. an ``--only embed``
and an ``--only text`` run, merged) and ``videochat2_synthetic.py`` (``--run-missing`` runs an
experiment whose results are absent, with its defaults). All runs must have evaluated the
same tiny MVBench (same seed and questions per task).
"""
from __future__ import annotations

import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

ROWS = [('chance (1 / options)', 'videochat', 'chance (1 / options)'),
        ('VideoChat-Text (oracle perception)', 'videochat',
         'VideoChat-Text (tiny, oracle perception)'),
        ('VideoChat-Text (oracle perception), single frame', 'videochat',
         'VideoChat-Text (tiny, oracle perception), single frame'),
        ('VideoChat-Embed', 'videochat', 'VideoChat-Embed (tiny)'),
        ('VideoChat-Embed, single frame', 'videochat', 'VideoChat-Embed (tiny), single frame'),
        ('VideoChat2', 'videochat2', 'all frames'),
        ('VideoChat2, single frame', 'videochat2', 'single frame')]


# videochat_synthetic.py's evaluation folders (for the answer-text diagnostic)
EVAL_DIRS = {'VideoChat-Text (tiny, oracle perception)': 'mvbench_text',
             'VideoChat-Text (tiny, oracle perception), single frame': 'mvbench_text_single',
             'VideoChat-Embed (tiny)': 'mvbench_videochat',
             'VideoChat-Embed (tiny), single frame': 'mvbench_videochat_single'}


def _test_set(result: dict) -> tuple:
    """(seed, questions per task) of the tiny MVBench an experiment evaluated."""
    args = result.get('args', {})
    args = next((a for a in args.values() if isinstance(a, dict)), args)  # per-variant args
    return args.get('seed'), args.get('num_per_task')


def load(dirs: dict[str, list[str]], run_missing: bool) -> dict[str, dict]:
    """Each experiment's results, ``mvbench`` boards merged over its work dirs (run first
    with ``run_missing`` where absent)."""
    import importlib
    results, sets = {}, {}
    for name, works in dirs.items():
        for work in works:
            path = osp.join(work, 'results.json')
            if not osp.isfile(path) and run_missing:
                module = importlib.import_module(f'tools.experiments.{name}_synthetic')
                module.main(['--work-dir', work])
            if osp.isfile(path):
                with open(path) as f:
                    run = json.load(f)
                sets[path] = _test_set(run)
                boards = results.setdefault(name, dict(mvbench={}))['mvbench']
                boards.update(run['mvbench'])
                if name == 'videochat':
                    _add_answer_text(boards, work)
    if len(set(sets.values())) > 1:
        raise ValueError(f'the experiments evaluated different tiny MVBenches (seed, questions '
                         f'per task): {sets}; rerun one with the other\'s --num-per-task')
    return results


def _add_answer_text(boards: dict, work: str) -> None:
    """The answer-text diagnostic of boards that lack it, from their predictions."""
    from tools.experiments.videochat_synthetic import answer_text_match
    for key, sub in EVAL_DIRS.items():
        folder = osp.join(work, sub)
        if key in boards and 'answer_text' not in boards[key] and osp.isfile(
                osp.join(folder, 'predictions.jsonl')):
            boards[key]['answer_text'] = answer_text_match(folder)


def table(results: dict[str, dict], field: str | None = None) -> tuple[list[str], list[list]]:
    """Header (task abbreviations + Avg) and the rows present in ``results``; ``field``:
    a sub-board instead (``'answer_text'``)."""
    from projects.mvbench.tasks import get_task
    chance = results['videochat']['mvbench']['chance (1 / options)']
    tasks = [t for t in chance if t != 'Avg']
    rows = []
    for label, exp, key in ROWS:
        board = results.get(exp, {}).get('mvbench', {}).get(key)
        if board is not None and field is not None:
            board = board.get(field)
        if board is not None:
            rows.append([label] + [float(board[t]) for t in tasks + ['Avg']])
    return ['model'] + [get_task(t).abbr for t in tasks] + ['Avg'], rows


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--videochat', nargs='+', default=['work_dirs/videochat_synthetic'])
    parser.add_argument('--videochat2', default='work_dirs/videochat2_synthetic')
    parser.add_argument('--run-missing', action='store_true')
    parser.add_argument('--out', default='work_dirs/mvbench_tiny_side_by_side.json')
    args = parser.parse_args(argv)
    results = load(dict(videochat=args.videochat, videochat2=[args.videochat2]),
                   args.run_missing)
    if 'videochat' not in results:
        raise FileNotFoundError(f'{args.videochat}/results.json not found: run '
                                'tools/experiments/videochat_synthetic.py (or --run-missing)')
    from tools.experiments.common import report
    header, rows = table(results)
    _, text_rows = table(results, 'answer_text')
    out = dict(header=header, rows=rows, answer_text=text_rows)
    if text_rows:
        report('Diagnostic: % of generations whose option text is the right answer\'s (any '
               'letter)', header, text_rows, out, args.out)
    report('Tiny MVBench (synthetic, seed 0), accuracy % (official rule)', header, rows,
           out, args.out)
    return out


if __name__ == '__main__':
    main()
