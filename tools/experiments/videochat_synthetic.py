"""Tiny VideoChat-Embed through its two stages on the synthetic world, then the tiny MVBench
(16 frames), next to chance (1 / number of options) on the same items.

    .venv/bin/python tools/experiments/videochat_synthetic.py [--work-dir DIR] [--seed S]
        [--num-clips N] [--num-mvbench-train N] [--num-per-task N]
        [--stage1-epochs N] [--stage2-epochs N]

Steps (each a config trained by mmengine's Runner, as ``tools/train.py`` would):

0. data: the same export as ``videochat2_synthetic.py`` (synthetic instruction data,
   MVBench-style training questions on other clips, the tiny MVBench with seed 0);
1. ``videochat-tiny_stage1_synthetic-4x56.py`` (caption conversations);
2. ``videochat-tiny_stage2_synthetic-8x56.py`` from (1) (instruction tuning);
3. ``tools/mvbench/evaluate.py`` with the stage-2 weights; chance from the items.

Prints the per-task table and writes ``<work-dir>/results.json``.
"""
from __future__ import annotations

import json
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from tools.experiments.common import (  # noqa: E402
    config_path,
    make_parser,
    report,
    run_config,
    set_threads,
)
from tools.experiments.videochat2_synthetic import evaluate, make_data  # noqa: E402

STAGES = ['videochat/videochat-tiny_stage1_synthetic-4x56.py',
          'videochat/videochat-tiny_stage2_synthetic-8x56.py']
MVBENCH = 'videochat/videochat-tiny_mvbench_16x56_tiny-synthetic.py'


def chance(root: str) -> dict:
    """Expected accuracy (%) of a uniform guess per task of a tiny MVBench."""
    from projects.mvbench.tasks import TASKS
    board, means = {}, []
    for task in TASKS:
        path = osp.join(root, 'json', task.json_file)
        if osp.isfile(path):
            with open(path) as f:
                items = json.load(f)
            board[task.name] = 100 * sum(1 / len(i['candidates']) for i in items) / len(items)
            means.append(board[task.name])
    board['Avg'] = sum(means) / len(means)
    return board


def epoch_options(epochs: int | None) -> dict:
    """cfg-options that shorten (or lengthen) a run to ``epochs``; ``{}`` for the config's."""
    keys = ('train_cfg.max_epochs', 'default_hooks.checkpoint.interval',
            'param_scheduler.0.T_max', 'param_scheduler.0.end')
    return dict.fromkeys(keys, epochs) if epochs else {}


def main(argv=None) -> dict:
    parser = make_parser(__doc__, 'work_dirs/videochat_synthetic')
    for flag, default, text in (
            ('--num-clips', 40, 'clips per synthetic task (instruction export)'),
            ('--num-mvbench-train', 40, 'MVBench-style training questions per task'),
            ('--num-per-task', 20, 'tiny MVBench test questions per task'),
            ('--stage1-epochs', None, 'stage-1 epochs'), ('--stage2-epochs', None,
                                                          'stage-2 epochs')):
        parser.add_argument(flag, type=int, default=default, help=text)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    work = osp.abspath(args.work_dir)
    data = make_data(args, osp.join(work, 'data'))
    result, ckpt = dict(args=vars(args), stages={}), None
    for stage, config in zip(('stage1', 'stage2'), STAGES):
        run = run_config(config_path(config), osp.join(work, stage),
                         {'data_root': data['instruction'], 'load_from': ckpt,
                          **epoch_options(getattr(args, f'{stage}_epochs'))}, args.seed)
        result['stages'][stage], ckpt = run, run['checkpoint']
    boards = {'VideoChat-Embed (tiny)': evaluate(MVBENCH, ckpt, 'model.answerer.checkpoint',
                                                 data['mvbench_test'],
                                                 osp.join(work, 'mvbench_videochat'))}
    boards['chance (1 / options)'] = chance(data['mvbench_test'])
    result['mvbench'] = boards
    tasks = [t for t in boards['VideoChat-Embed (tiny)'] if t != 'Avg']
    rows = [[name] + [float(board.get(t, float('nan'))) for t in tasks + ['Avg']]
            for name, board in boards.items()]
    report('Tiny VideoChat-Embed on the tiny MVBench (accuracy %, official rule)',
           ['answerer'] + tasks + ['Avg'], rows, result, osp.join(work, 'results.json'))
    return result


if __name__ == '__main__':
    main()
