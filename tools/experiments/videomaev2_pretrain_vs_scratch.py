"""VideoMAE V2 on the synthetic world: dual-masking pre-training -> fine-tuning on 'direction',
against the same fine-tuning from a random init.

    .venv/bin/python tools/experiments/videomaev2_pretrain_vs_scratch.py [--work-dir DIR]
        [--seed S] [--pt-iters N] [--ft-iters N] [--num-unlabeled N] [--num-labeled N]
        [--num-val N]

Three configs trained by mmengine's Runner (as ``tools/train.py`` would), each in its own
sub-folder of the work dir: ``videomaev2_vit-tiny-p4_dual-mask-pt_direction-8x32_synthetic.py``,
then ``vit-tiny-p4_videomaev2-pt-ft_direction-8x32_synthetic.py`` with its encoder loaded from
the pre-training checkpoint, and ``vit-tiny-p4_scratch-ft_direction-8x32_synthetic.py``.
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

PRETRAIN = 'videomaev2/videomaev2_vit-tiny-p4_dual-mask-pt_direction-8x32_synthetic.py'
FINETUNE = 'videomaev2/vit-tiny-p4_videomaev2-pt-ft_direction-8x32_synthetic.py'
SCRATCH = 'videomaev2/vit-tiny-p4_scratch-ft_direction-8x32_synthetic.py'


def _iters(n: int) -> dict:
    """Overrides for an ``n``-iteration run (loop, OneCycle length, checkpoint)."""
    return {'train_cfg.max_iters': n, 'param_scheduler.0.total_steps': n,
            'default_hooks.checkpoint.interval': n}


def budget_options(args: argparse.Namespace) -> tuple[dict, dict]:
    """Config overrides (pre-training, fine-tuning) for the budget arguments."""
    pretrain, finetune = {}, {}
    if args.pt_iters:
        pretrain.update(_iters(args.pt_iters))
    if args.ft_iters:
        finetune.update({**_iters(args.ft_iters), 'train_cfg.val_interval': args.ft_iters})
    if args.num_unlabeled:
        pretrain['train_dataloader.dataset.num_samples'] = args.num_unlabeled
    if args.num_labeled:
        finetune['train_dataloader.dataset.num_samples'] = args.num_labeled
    if args.num_val:
        finetune['val_dataloader.dataset.num_samples'] = args.num_val
    return pretrain, finetune


def run(args: argparse.Namespace) -> dict:
    """Pre-train, fine-tune, fine-tune from scratch; returns the results (also as JSON)."""
    pt_opts, ft_opts = budget_options(args)
    wd = args.work_dir
    pt = run_config(config_path(PRETRAIN), osp.join(wd, 'pretrain'), pt_opts, args.seed)
    ft = run_config(config_path(FINETUNE), osp.join(wd, 'ft_pretrained'),
                    {**ft_opts, 'model.backbone.init_cfg.checkpoint': pt['checkpoint']},
                    args.seed)
    scratch = run_config(config_path(SCRATCH), osp.join(wd, 'ft_scratch'), ft_opts, args.seed)
    result = dict(task='direction', seed=args.seed, chance=100 / 9, pretrain_loss=pt['loss'],
                  seconds_pretrain=pt['seconds'],
                  top1_pretrained=100. * ft['metrics']['acc/top1'],
                  top1_scratch=100. * scratch['metrics']['acc/top1'],
                  seconds_ft_pretrained=ft['seconds'], seconds_ft_scratch=scratch['seconds'],
                  options=dict(pretrain=pt_opts, finetune=ft_opts))
    a, b = pt['loss'] or [float('nan')] * 2
    report(f"VideoMAE V2 on 'direction' (seed {args.seed}; chance 11.1 %): pre-training loss "
           f"{a:.2f} -> {b:.2f} ({pt['seconds']:.0f} s)",
           ['run', 'encoder init', 'val top-1 (%)', 'fine-tune s'],
           [['VideoMAE V2 pre-train -> fine-tune', 'dual masking', result['top1_pretrained'],
             ft['seconds']],
            ['scratch -> fine-tune', 'random', result['top1_scratch'], scratch['seconds']]],
           result, osp.join(wd, 'results.json'))
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = make_parser(__doc__, 'work_dirs/experiments/videomaev2_pretrain_vs_scratch')
    parser.add_argument('--pt-iters', type=int, help='pre-training iterations (config: 1500)')
    parser.add_argument('--ft-iters', type=int, help='fine-tuning iterations (config: 300)')
    parser.add_argument('--num-unlabeled', type=int, help='pre-training clips (config: 2000)')
    parser.add_argument('--num-labeled', type=int, help='fine-tuning clips (config: 500)')
    parser.add_argument('--num-val', type=int, help='validation clips (config: 400)')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    set_threads(args.threads)
    return run(args)


if __name__ == '__main__':
    main()
