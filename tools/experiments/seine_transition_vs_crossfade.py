"""Tiny SEINE on the synthetic world: random-mask training through mmengine's Runner, then
transitions between the first and last frame of held-out clips against a linear cross-fade,
and image-to-video against copying the first frame (MSE vs the true frames, [-1, 1] pixels).

    .venv/bin/python tools/experiments/seine_transition_vs_crossfade.py [--work-dir DIR]
        [--seed S] [--iters N] [--num-val N] [--steps SPEC] [--sampler ddpm|ddim]
        [--samples K] [--figure PNG]

Trains ``configs/seine/seine_unet-tiny_random-mask_synthetic-8x16.py`` (EMA weights are what
the checkpoint holds), samples with the official DDPM sampler at 25 respaced steps (no
guidance: the tiny model has no text) and prints the table; ``--figure`` writes the transition grid (rows: ground truth,
SEINE, cross-fade) of the first held-out clip.
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

CONFIG = 'seine/seine_unet-tiny_random-mask_synthetic-8x16.py'


def _iters(n: int) -> dict:
    return {'train_cfg.max_iters': n, 'param_scheduler.0.total_steps': n,
            'default_hooks.checkpoint.interval': n}


def load_trained(config: str, checkpoint: str | None):
    """The SEINE algorithm of ``config`` with the (EMA) weights of ``checkpoint`` (None: the
    random init, the untrained reference)."""
    import projects.seine  # noqa: F401
    from mmvideofm.checkpoint import load_checkpoint_file
    from mmvideofm.engine.runner_utils import load_config
    from mmvideofm.registry import MODELS
    cfg = load_config(config, {}, None)
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        model.load_state_dict(load_checkpoint_file(checkpoint)['state_dict'])
    return model.eval(), cfg


def crossfade(first, last, num_frames: int):
    """Linear cross-fade (F, 3, H, W) between two frames."""
    import torch
    a = torch.linspace(0, 1, num_frames)[:, None, None, None]
    return (1 - a) * first + a * last


def evaluate(model, cfg, num_val: int, steps: str, seed: int, samples: int = 1,
             sampler: str = 'ddpm') -> dict:
    """Mean squared errors over ``num_val`` validation clips (frames in [-1, 1])."""
    import torch

    from mmvideofm.registry import DATASETS
    ds_cfg = dict(cfg.train_dataloader.dataset, split='val', num_samples=num_val,
                  pipeline=[], cache_clips=False)
    dataset = DATASETS.build(ds_cfg)
    pipe = model.pipeline(sampler=sampler, trained_frames=None)
    gen = torch.Generator().manual_seed(seed)
    errs = dict(seine_transition=[], crossfade=[], seine_i2v=[], copy_first=[])
    example = None
    for i in range(num_val):
        video = torch.from_numpy(dataset.get_clip(i).frames).permute(0, 3, 1, 2).float()
        video = video / 127.5 - 1  # (F, 3, H, W)
        f = len(video)
        first, last = video[0], video[-1]
        trans = torch.stack([pipe(torch.stack([first, last]), mask_type='onelast1',
                                  num_frames=f, num_inference_steps=steps, guidance_scale=1.0,
                                  generator=gen).frames[0] for _ in range(samples)]).mean(0)
        fade = crossfade(first, last, f)
        mid = slice(1, f - 1)
        errs['seine_transition'].append(((trans[mid] - video[mid]) ** 2).mean().item())
        errs['crossfade'].append(((fade[mid] - video[mid]) ** 2).mean().item())
        i2v = torch.stack([pipe(first[None], mask_type='first1', num_frames=f,
                                num_inference_steps=steps, guidance_scale=1.0,
                                generator=gen).frames[0] for _ in range(samples)]).mean(0)
        errs['seine_i2v'].append(((i2v[1:] - video[1:]) ** 2).mean().item())
        errs['copy_first'].append(((first - video[1:]) ** 2).mean().item())
        if example is None:
            example = dict(truth=video, seine=trans, crossfade=fade)
    return dict({k: sum(v) / len(v) for k, v in errs.items()}, example=example)


def save_grid(example: dict, path: str, scale: int = 4) -> None:
    """Rows ground truth / SEINE / cross-fade, one column per frame, upscaled."""
    import torch
    import torch.nn.functional as F
    from PIL import Image

    from projects.seine.pipeline import to_uint8
    rows = [torch.cat(list(example[k].clamp(-1, 1)), dim=2)
            for k in ('truth', 'seine', 'crossfade')]
    grid = torch.cat(rows, dim=1)[None]
    grid = F.interpolate(grid, scale_factor=scale, mode='nearest')[0]
    Image.fromarray(to_uint8(grid).permute(1, 2, 0).numpy()).save(path)


def run(args: argparse.Namespace) -> dict:
    import torch
    opts = _iters(args.iters) if args.iters else {}
    train = run_config(config_path(CONFIG), osp.join(args.work_dir, 'train'), opts, args.seed)
    model, cfg = load_trained(config_path(CONFIG), train['checkpoint'])
    res = evaluate(model, cfg, args.num_val, args.steps, args.seed, args.samples, args.sampler)
    example = res.pop('example')
    torch.manual_seed(args.seed)
    untrained = evaluate(load_trained(config_path(CONFIG), None)[0], cfg, args.num_val,
                         args.steps, args.seed, args.samples, args.sampler)
    res.update(untrained_transition=untrained['seine_transition'],
               untrained_i2v=untrained['seine_i2v'])
    if args.figure:
        save_grid(example, args.figure)
    result = dict(res, seed=args.seed, loss=train['loss'], seconds_train=train['seconds'],
                  steps=args.steps, num_val=args.num_val, options=opts)
    report(f'Tiny SEINE on synthetic clips (seed {args.seed}; MSE on [-1, 1] pixels, '
           f'{args.num_val} held-out clips; training {train["seconds"]:.0f} s)',
           ['task', 'SEINE', 'untrained SEINE', 'baseline', 'baseline MSE'],
           [['transition (onelast1), middle frames', f"{res['seine_transition']:.4f}",
             f"{res['untrained_transition']:.4f}", 'linear cross-fade',
             f"{res['crossfade']:.4f}"],
            ['image-to-video (first1), frames 2..F', f"{res['seine_i2v']:.4f}",
             f"{res['untrained_i2v']:.4f}", 'copy the first frame',
             f"{res['copy_first']:.4f}"]],
           result, osp.join(args.work_dir, 'results.json'))
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = make_parser(__doc__, 'work_dirs/experiments/seine_transition_vs_crossfade')
    parser.add_argument('--iters', type=int, help='training iterations (config: 2000)')
    parser.add_argument('--num-val', type=int, default=16, help='held-out clips')
    parser.add_argument('--steps', default='25', help="respacing (e.g. '25', 'ddim25')")
    parser.add_argument('--sampler', default='ddpm', choices=('ddpm', 'ddim'))
    parser.add_argument('--samples', type=int, default=1,
                        help='samples averaged per clip (1: a single sample)')
    parser.add_argument('--figure', help='write the transition grid PNG here')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    set_threads(args.threads)
    return run(args)


if __name__ == '__main__':
    main()
