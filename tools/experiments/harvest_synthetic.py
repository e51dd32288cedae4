"""Harvest on the synthetic world: an image CLIP -> post-pretrained video model, with and
without text masking + fusion MLM, compared on zero-shot text<->video retrieval.

    .venv/bin/python tools/experiments/harvest_synthetic.py [--work-dir DIR] [--seed S]
        [--image-epochs N] [--post-epochs N] [--num-train N] [--skip-vtc]

Every step is a config trained by mmengine's Runner (as ``tools/train.py`` would), each in
its own sub-folder of the work dir:

1. ``harvest-tiny-p8_image-clip_synthetic-1x32.py``: the image CLIP (one random frame per
   clip and its caption, VTC, no temporal modules). Its validation encodes the 8 frames of
   each held-out clip and averages them: the image model used on video, the baseline.
2. ``harvest-tiny-p8_post-pretrain_synthetic-8x32.py`` from (1) (``load_from``): Harvest,
   VTC + MLM through the fusion decoder, patch dropping, frozen text tower.
3. ``harvest-tiny-p8_post-pretrain-vtc_synthetic-8x32.py`` from (1): VTC alone (dropping
   kept), to measure what text masking + fusion MLM change.

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

IMAGE = 'harvest/harvest-tiny-p8_image-clip_synthetic-1x32.py'
HARVEST = 'harvest/harvest-tiny-p8_post-pretrain_synthetic-8x32.py'
VTC_ONLY = 'harvest/harvest-tiny-p8_post-pretrain-vtc_synthetic-8x32.py'
KEYS = ('mean_R', 't2v_R@1', 'v2t_R@1', 't2v_R@5', 'v2t_R@5')


def epoch_options(epochs: int | None) -> dict:
    """Overrides for a shorter (or longer) run of the synthetic configs."""
    if not epochs:
        return {}
    return {'train_cfg.max_epochs': epochs, 'train_cfg.val_interval': epochs,
            'default_hooks.checkpoint.interval': epochs,
            'param_scheduler.0.T_max': epochs, 'param_scheduler.0.end': epochs}


def budget_options(args: argparse.Namespace) -> tuple[dict, dict]:
    """Config overrides (image stage, post-pretraining) for the budget arguments."""
    image, post = epoch_options(args.image_epochs), epoch_options(args.post_epochs)
    if args.num_train:
        image['train_dataloader.dataset.num_samples'] = args.num_train
        post['train_dataloader.dataset.num_samples'] = args.num_train
    return image, post


def retrieval(out: dict) -> dict:
    return {k: out['metrics'][f'retrieval/{k}'] for k in KEYS} | dict(seconds=out['seconds'])


def run(args: argparse.Namespace) -> dict:
    """Run the trainings; returns the results dict (also written as JSON)."""
    image_opts, post_opts = budget_options(args)
    wd = args.work_dir
    image = run_config(config_path(IMAGE), osp.join(wd, 'image_clip'), image_opts, args.seed)
    start = {**post_opts, 'load_from': image['checkpoint']}
    runs = {'image_clip': retrieval(image),
            'harvest': retrieval(run_config(config_path(HARVEST), osp.join(wd, 'harvest'),
                                            start, args.seed))}
    if not args.skip_vtc:
        runs['vtc_only'] = retrieval(run_config(config_path(VTC_ONLY),
                                                osp.join(wd, 'vtc_only'), start, args.seed))
    result = dict(seed=args.seed, chance_R1=1.0, runs=runs,
                  options=dict(image=image_opts, post=post_opts))
    names = {'image_clip': ('image CLIP (1 frame), frames averaged', 'VTC'),
             'harvest': ('post-pretrained from it', 'VTC + MLM, drop 0.5'),
             'vtc_only': ('post-pretrained from it', 'VTC, drop 0.5')}
    report(f'Harvest on synthetic captions (seed {args.seed}; 100 held-out clips, R@1 chance '
           f'1 %)', ['model', 'losses', 'mean R', 't2v R@1', 'v2t R@1', 'train s'],
           [[names[k][0], names[k][1], v['mean_R'], v['t2v_R@1'], v['v2t_R@1'], v['seconds']]
            for k, v in runs.items()], result, osp.join(wd, 'results.json'))
    return result


def main(argv: list[str] | None = None) -> dict:
    """Parse the options, set the threads, run."""
    parser = make_parser(__doc__, 'work_dirs/experiments/harvest_synthetic')
    for flag, text in (('--image-epochs', 'image-CLIP epochs (config: 10)'),
                       ('--post-epochs', 'post-pretraining epochs (config: 10)'),
                       ('--num-train', 'training clips (config: 480)')):
        parser.add_argument(flag, type=int, help=text)
    parser.add_argument('--skip-vtc', action='store_true', help='leave out the VTC-only run')
    args = parser.parse_args(argv)
    set_threads(args.threads)
    return run(args)


if __name__ == '__main__':
    main()
