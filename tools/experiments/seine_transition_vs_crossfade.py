"""Tiny SEINE on the synthetic world: random-mask training through mmengine's Runner, then
transitions between the first and last frame of held-out clips against a linear cross-fade,
and image-to-video against copying the first frame (MSE vs the true frames, [-1, 1] pixels).

    .venv/bin/python tools/experiments/seine_transition_vs_crossfade.py [--work-dir DIR]
        [--seed S] [--iters N] [--cfg-options K=V ...] [--checkpoint PTH] [--num-val N]
        [--steps SPEC] [--sampler ddpm|ddim] [--guidance S] [--no-text] [--samples K]
        [--untrained] [--figure PNG]

Trains ``configs/seine/seine_unet-tiny_random-mask_synthetic-8x32.py`` (EMA weights are what
the checkpoint holds), samples each held-out clip with its caption as the prompt (DDIM,
eta 0, 10 respaced steps by default) and prints the table: single samples (each of the
``--samples`` samples per clip scored alone) and their mean. ``--figure`` writes the grid
of the first held-out clips (rows per clip: ground truth, SEINE transition, cross-fade,
SEINE image-to-video).
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
import time

import torch

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from tools.experiments.common import (  # noqa: E402
    config_path,
    make_parser,
    report,
    run_config,
    set_threads,
)

CONFIG = 'seine/seine_unet-tiny_random-mask_synthetic-8x32.py'


def _iters(n: int) -> dict:
    return {'train_cfg.max_iters': n, 'param_scheduler.0.total_steps': n,
            'default_hooks.checkpoint.interval': n}


def load_trained(config: str, checkpoint: str | None, options: dict | None = None):
    """The SEINE algorithm of ``config`` (``options`` merged) with the (EMA) weights of
    ``checkpoint`` (None: the random init, the untrained reference)."""
    import projects.seine  # noqa: F401
    from mmvideofm.checkpoint import load_checkpoint_file
    from mmvideofm.engine.runner_utils import load_config
    from mmvideofm.registry import MODELS
    cfg = load_config(config, dict(options or {}), None)
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        model.load_state_dict(load_checkpoint_file(checkpoint)['state_dict'])
    return model.eval(), cfg


def crossfade(first, last, num_frames: int):
    """Linear cross-fade (F, 3, H, W) between two frames."""
    a = torch.linspace(0, 1, num_frames)[:, None, None, None]
    return (1 - a) * first + a * last


def _sample(pipe, frames, mask_type: str, caption: str, args: dict, samples: int, gen):
    """(K, F, 3, H, W) samples of one clip."""
    return torch.stack([pipe(frames, caption, mask_type=mask_type, generator=gen, **args)
                        .frames[0] for _ in range(samples)])


def evaluate(model, cfg, num_val: int, steps: str, seed: int, samples: int = 1,
             sampler: str = 'ddpm', guidance: float = 1.0, text: bool = True,
             num_examples: int = 1) -> dict:
    """Mean squared errors over ``num_val`` validation clips (frames in [-1, 1]): of single
    samples (``seine_*``: each of the ``samples`` samples scored alone, errors averaged) and
    of the mean of the ``samples`` samples (``seine_*_mean``); ``examples``: the first sample
    of the first ``num_examples`` clips."""
    from mmvideofm.registry import DATASETS
    ds_cfg = dict(cfg.train_dataloader.dataset, split='val', num_samples=num_val,
                  pipeline=[], cache_clips=False)
    dataset = DATASETS.build(ds_cfg)
    pipe = model.pipeline(sampler=sampler, trained_frames=None)
    gen = torch.Generator().manual_seed(seed)
    errs = {k: [] for k in ('seine_transition', 'seine_transition_mean', 'crossfade',
                            'seine_i2v', 'seine_i2v_mean', 'copy_first')}
    examples = []
    for i in range(num_val):
        clip = dataset.get_clip(i)
        video = torch.from_numpy(clip.frames).permute(0, 3, 1, 2).float() / 127.5 - 1
        f = len(video)  # video: (F, 3, H, W)
        first, last = video[0], video[-1]
        kw = dict(num_frames=f, num_inference_steps=steps, guidance_scale=guidance)
        caption = clip.caption if text else ''
        trans = _sample(pipe, torch.stack([first, last]), 'onelast1', caption, kw, samples, gen)
        fade = crossfade(first, last, f)
        mid = slice(1, f - 1)

        def mse(pred, part, truth=video):
            return ((pred[part] - truth[part]) ** 2).mean().item()
        errs['seine_transition'].append(sum(mse(x, mid) for x in trans) / samples)
        errs['seine_transition_mean'].append(mse(trans.mean(0), mid))
        errs['crossfade'].append(mse(fade, mid))
        i2v = _sample(pipe, first[None], 'first1', caption, kw, samples, gen)
        rest = slice(1, f)
        errs['seine_i2v'].append(sum(mse(x, rest) for x in i2v) / samples)
        errs['seine_i2v_mean'].append(mse(i2v.mean(0), rest))
        errs['copy_first'].append(mse(first.expand_as(video), rest))
        if i < num_examples:
            examples.append(dict(truth=video, seine=trans[0], crossfade=fade, i2v=i2v[0],
                                 caption=clip.caption))
    return dict({k: sum(v) / len(v) for k, v in errs.items()}, examples=examples)


def save_grid(examples: list[dict], path: str, scale: int = 4) -> None:
    """Per clip the rows ground truth / SEINE transition / cross-fade / SEINE image-to-video,
    one column per frame, clips stacked, nearest-upscaled ``scale`` times."""
    import torch.nn.functional as F
    from PIL import Image

    from projects.seine.pipeline import to_uint8
    rows = [torch.cat(list(ex[k].clamp(-1, 1)), dim=2) for ex in examples
            for k in ('truth', 'seine', 'crossfade', 'i2v')]
    grid = torch.cat(rows, dim=1)[None]
    grid = F.interpolate(grid, scale_factor=scale, mode='nearest')[0]
    Image.fromarray(to_uint8(grid).permute(1, 2, 0).numpy()).save(path)


def run(args: argparse.Namespace) -> dict:
    opts = dict(_iters(args.iters) if args.iters else {}, **(args.cfg_options or {}))
    config = config_path(CONFIG)
    train = dict(loss=[], seconds=0.0, checkpoint=args.checkpoint)
    if args.checkpoint is None:
        train = run_config(config, osp.join(args.work_dir, 'train'), opts, args.seed)
    model, cfg = load_trained(config, train['checkpoint'], opts)
    ev = dict(num_val=args.num_val, steps=args.steps, seed=args.seed, samples=args.samples,
              sampler=args.sampler, guidance=args.guidance, text=not args.no_text,
              num_examples=args.figure_clips)
    start = time.time()
    res = evaluate(model, cfg, **ev)
    seconds_eval = time.time() - start
    examples = res.pop('examples')
    if args.untrained:
        torch.manual_seed(args.seed)
        untrained = evaluate(load_trained(config, None, opts)[0], cfg, **ev)
        res.update(untrained_transition=untrained['seine_transition'],
                   untrained_i2v=untrained['seine_i2v'])
    if args.figure:
        save_grid(examples, args.figure)
    result = dict(res, seed=args.seed, loss=train['loss'], seconds_train=train['seconds'],
                  seconds_eval=round(seconds_eval, 1), options=opts, captions=[ex['caption'] for ex in examples],
                  **{k: v for k, v in ev.items() if k != 'seed'})
    k = args.samples
    report(f'Tiny SEINE on synthetic clips (seed {args.seed}; MSE on [-1, 1] pixels, '
           f'{args.num_val} held-out clips; {args.sampler} {args.steps} steps, guidance '
           f'{args.guidance}; training {train["seconds"]:.0f} s)',
           ['task', 'SEINE, 1 sample', f'SEINE, mean of {k}', 'baseline', 'baseline MSE'],
           [['transition (onelast1), middle frames', f"{res['seine_transition']:.4f}",
             f"{res['seine_transition_mean']:.4f}", 'linear cross-fade',
             f"{res['crossfade']:.4f}"],
            ['image-to-video (first1), frames 2..F', f"{res['seine_i2v']:.4f}",
             f"{res['seine_i2v_mean']:.4f}", 'copy the first frame',
             f"{res['copy_first']:.4f}"]],
           result, osp.join(args.work_dir, 'results.json'))
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = make_parser(__doc__, 'work_dirs/experiments/seine_transition_vs_crossfade')
    parser.add_argument('--iters', type=int, help='training iterations (config: 300)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides (key=value) for training and the model')
    parser.add_argument('--checkpoint', help='evaluate this checkpoint instead of training')
    parser.add_argument('--num-val', type=int, default=16, help='held-out clips')
    parser.add_argument('--steps', default='ddim10',
                        help="respacing (e.g. '25', 'ddim10'); 'ddimN' needs --sampler ddim")
    parser.add_argument('--sampler', default='ddim', choices=('ddpm', 'ddim'))
    parser.add_argument('--guidance', type=float, default=1.0,
                        help='classifier-free guidance scale (1: none)')
    parser.add_argument('--no-text', action='store_true',
                        help='sample without the captions (empty prompt)')
    parser.add_argument('--samples', type=int, default=1,
                        help='samples per clip: each is scored alone for the single-sample '
                             'row (errors averaged), their mean for the mean-of-K row')
    parser.add_argument('--untrained', action='store_true',
                        help='also evaluate the random init (the untrained reference)')
    parser.add_argument('--figure', help='write the transition grid PNG here')
    parser.add_argument('--figure-clips', type=int, default=3,
                        help='held-out clips shown in the figure (the first ones)')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    set_threads(args.threads)
    return run(args)


if __name__ == '__main__':
    main()
