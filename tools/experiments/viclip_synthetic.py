"""ViCLIP on the synthetic world: VTC training on the `direction` task's captions, then
zero-shot retrieval and zero-shot direction classification on held-out clips, with all 8
frames and with the middle frame repeated.

    .venv/bin/python tools/experiments/viclip_synthetic.py [--work-dir DIR] [--seed S]
        [--epochs N] [--num-train N] [--num-val N]

Both steps are configs run by mmengine's Runner (as ``tools/train.py`` / ``tools/test.py``):

1. ``viclip-tiny-p8_synthetic-direction-8x32.py`` trains and validates (8 frames);
2. ``viclip-tiny-p8_synthetic-direction-1frame-8x32.py`` tests that checkpoint on the middle
   frame repeated 8 times.

Prints the comparison table and writes ``<work-dir>/results.json``.
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

TRAIN = 'viclip/viclip-tiny-p8_synthetic-direction-8x32.py'
ONE_FRAME = 'viclip/viclip-tiny-p8_synthetic-direction-1frame-8x32.py'
CHANCE = dict(r1=0.5, direction=100 / 9)
KEYS = dict(t2v='retrieval/t2v_R@1', v2t='retrieval/v2t_R@1', direction='zero_shot/top1',
            direction_top5='zero_shot/top5')


def test_config(config: str, work_dir: str, checkpoint: str, options: dict | None = None
                ) -> dict[str, float]:
    """Test ``checkpoint`` with ``config`` as ``tools/test.py`` does; returns the metrics."""
    from mmengine.runner import Runner

    from mmvideofm.engine.runner_utils import load_config
    cfg = load_config(config, dict(options or {}), work_dir)
    cfg.load_from = checkpoint
    return {k: float(v) for k, v in Runner.from_cfg(cfg).test().items()}


def budget_options(args: argparse.Namespace) -> tuple[dict, dict]:
    """Overrides (training, one-frame test) for the budget arguments."""
    train, test = {}, {}
    if args.epochs:
        train.update({'train_cfg.max_epochs': args.epochs, 'train_cfg.val_interval': args.epochs,
                      'default_hooks.checkpoint.interval': args.epochs,
                      'param_scheduler.0.T_max': args.epochs,
                      'param_scheduler.0.end': args.epochs})
    if args.num_train:
        train['train_dataloader.dataset.num_samples'] = args.num_train
    if args.num_val:
        train['val_dataloader.dataset.num_samples'] = args.num_val
        test['test_dataloader.dataset.num_samples'] = args.num_val
    return train, test


def run(args: argparse.Namespace) -> dict:
    """Train, validate, test on one frame; returns the results dict (also written as JSON)."""
    train_opts, test_opts = budget_options(args)
    wd = args.work_dir
    trained = run_config(config_path(TRAIN), osp.join(wd, 'train'), train_opts, args.seed)
    frames8 = {k: trained['metrics'][v] for k, v in KEYS.items()}
    one = test_config(config_path(ONE_FRAME), osp.join(wd, 'one_frame'), trained['checkpoint'],
                      test_opts)
    frame1 = {k: one[v] for k, v in KEYS.items()}
    result = dict(seed=args.seed, chance=CHANCE, eight_frames=frames8, one_frame=frame1,
                  loss=trained['loss'], seconds=trained['seconds'],
                  options=dict(train=train_opts, one_frame=test_opts))
    a, b = trained['loss'] or [float('nan')] * 2
    report(f'ViCLIP on synthetic captions (seed {args.seed}; VTC loss {a:.2f} -> {b:.2f}, '
           f'{trained["seconds"]:.0f} s; chance R@1 0.5 %, direction top-1 11.1 %)',
           ['input', 't2v R@1', 'v2t R@1', 'direction top-1', 'direction top-5'],
           [['8 frames', *(frames8[k] for k in KEYS)],
            ['middle frame x 8', *(frame1[k] for k in KEYS)]],
           result, osp.join(wd, 'results.json'))
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = make_parser(__doc__, 'work_dirs/experiments/viclip_synthetic')
    parser.add_argument('--epochs', type=int, help='training epochs (config: 30)')
    parser.add_argument('--num-train', type=int, help='training clips (config: 640)')
    parser.add_argument('--num-val', type=int, help='held-out clips (config: 200)')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    set_threads(args.threads)
    return run(args)


if __name__ == '__main__':
    main()
