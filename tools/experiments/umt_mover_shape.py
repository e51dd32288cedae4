"""UMT on the synthetic world: image teacher -> stage 1 -> fine-tune on 'mover_shape', against
scratch and against the same student fine-tuned on one frame.

    .venv/bin/python tools/experiments/umt_mover_shape.py [--work-dir DIR] [--seed S]
        [--teacher-iters N] [--stage1-epochs N] [--ft-epochs N] [--num-labeled N] [--num-val N]

Every step is a config trained by mmengine's Runner (as ``tools/train.py`` would), each in
its own sub-folder of the work dir:

1. ``umt-tiny-p8_teacher_synthetic-semantic-4x32.py``: the image teacher (single frames,
   per-patch shape classes; val: object-patch accuracy);
2. ``umt-tiny-p8_stage1_synthetic-semantic-4x32.py``: UMT stage 1, its teacher loaded from (1);
3. ``umt-tiny-p8_ft_synthetic-mover-shape-4x32.py`` from (2) (``load_from``) and from scratch
   (``load_from=None``), and ``umt-tiny-p8_ft_synthetic-mover-shape-1frame-4x32.py`` from (2)
   (middle frame repeated).

Prints the comparison table and writes ``<work-dir>/results.json``. The budget options shrink
the run for quick checks (defaults: the configs' budgets).
"""
from __future__ import annotations

import argparse
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

TEACHER = 'umt/umt-tiny-p8_teacher_synthetic-semantic-4x32.py'
STAGE1 = 'umt/umt-tiny-p8_stage1_synthetic-semantic-4x32.py'
FINETUNE = 'umt/umt-tiny-p8_ft_synthetic-mover-shape-4x32.py'
ONE_FRAME = 'umt/umt-tiny-p8_ft_synthetic-mover-shape-1frame-4x32.py'


def budget_options(args: argparse.Namespace) -> tuple[dict, dict, dict]:
    """Config overrides (teacher, stage 1, fine-tuning) for the budget arguments."""
    teacher, stage1, finetune = {}, {}, {}
    if args.teacher_iters:
        teacher.update({'train_cfg.max_iters': args.teacher_iters,
                        'train_cfg.val_interval': args.teacher_iters,
                        'default_hooks.checkpoint.interval': args.teacher_iters})
    if args.num_unlabeled:
        teacher['train_dataloader.dataset.num_samples'] = args.num_unlabeled
        stage1['train_dataloader.dataset.num_samples'] = args.num_unlabeled
    if args.stage1_epochs:
        stage1.update({'train_cfg.max_epochs': args.stage1_epochs,
                       'default_hooks.checkpoint.interval': args.stage1_epochs})
    if args.ft_epochs:
        finetune.update({'train_cfg.max_epochs': args.ft_epochs,
                         'train_cfg.val_interval': args.ft_epochs,
                         'default_hooks.checkpoint.interval': args.ft_epochs,
                         'param_scheduler.0.total_steps': args.ft_epochs})
    if args.num_labeled:
        finetune['train_dataloader.dataset.num_samples'] = args.num_labeled
    if args.num_val:
        finetune['val_dataloader.dataset.num_samples'] = args.num_val
    return teacher, stage1, finetune


def run(args: argparse.Namespace) -> dict:
    """Run the five trainings; returns the results dict (also written as JSON)."""
    teacher_opts, stage1_opts, ft_opts = budget_options(args)
    wd = args.work_dir
    teacher = run_config(config_path(TEACHER), osp.join(wd, 'teacher'), teacher_opts, args.seed)
    stage1 = run_config(config_path(STAGE1), osp.join(wd, 'stage1'),
                        {**stage1_opts, 'model.teacher.init_cfg.checkpoint':
                         teacher['checkpoint']}, args.seed)
    runs = {
        'umt': (FINETUNE, stage1['checkpoint']),
        'scratch': (FINETUNE, None),
        'umt_one_frame': (ONE_FRAME, stage1['checkpoint']),
    }
    top1 = {}
    for name, (cfg, init) in runs.items():
        out = run_config(config_path(cfg), osp.join(wd, f'ft_{name}'),
                         {**ft_opts, 'load_from': init}, args.seed)
        top1[name] = dict(top1=100. * out['metrics']['acc/top1'], seconds=out['seconds'])
    result = dict(
        task='mover_shape', seed=args.seed, chance=25.0,
        teacher_object_patch_acc=teacher['metrics']['patch/object_acc'],
        teacher_seconds=teacher['seconds'], stage1_align_loss=stage1['loss'],
        stage1_seconds=stage1['seconds'], **{f'top1_{k}': v['top1'] for k, v in top1.items()},
        **{f'seconds_ft_{k}': v['seconds'] for k, v in top1.items()},
        options=dict(teacher=teacher_opts, stage1=stage1_opts, finetune=ft_opts))
    a, b = stage1['loss'] or [float('nan')] * 2
    report(f"UMT on 'mover_shape' (seed {args.seed}; chance 25 %, one frame <= ~50 %): "
           f"teacher object-patch acc {result['teacher_object_patch_acc']:.1f} %, stage-1 "
           f'align loss {a:.2f} -> {b:.2f}',
           ['run', 'encoder init', 'input', 'val top-1 (%)', 'fine-tune s'],
           [['UMT -> fine-tune', 'stage 1', '4 frames', top1['umt']['top1'],
             top1['umt']['seconds']],
            ['scratch -> fine-tune', 'random', '4 frames', top1['scratch']['top1'],
             top1['scratch']['seconds']],
            ['UMT -> fine-tune, one frame', 'stage 1', 'middle frame x 4',
             top1['umt_one_frame']['top1'], top1['umt_one_frame']['seconds']]],
           result, osp.join(wd, 'results.json'))
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = make_parser(__doc__, 'work_dirs/experiments/umt_mover_shape')
    parser.add_argument('--teacher-iters', type=int, help='teacher steps (config: 800)')
    parser.add_argument('--num-unlabeled', type=int,
                        help='clips of the teacher and stage 1 (config: 800)')
    parser.add_argument('--stage1-epochs', type=int, help='stage-1 epochs (config: 5)')
    parser.add_argument('--ft-epochs', type=int, help='fine-tuning epochs (config: 12)')
    parser.add_argument('--num-labeled', type=int, help='fine-tuning clips (config: 1920)')
    parser.add_argument('--num-val', type=int, help='validation clips (config: 300)')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    set_threads(args.threads)
    return run(args)


if __name__ == '__main__':
    main()
