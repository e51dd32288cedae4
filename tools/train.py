"""Train a model from a config (mmaction2-style flags).

    .venv/bin/python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
                                 [--cfg-options k=v ...] [--trusted] [--allow-mismatched-load]
                                 [--launcher pytorch]

``load_from`` is checked before training: a file that fits (almost) nothing is refused,
a partial fit (a pretrained backbone under a new head) is reported with counts.
``--resume`` restores the RNG states and the position in the epoch, so a resumed run
ends where the uninterrupted one does.
"""
import argparse
import contextlib
import importlib
import os

from torch import nn

from mmvideofm.checkpoint import load_checkpoint_file
from mmvideofm.checkpoint.io import trusted_loading
from mmvideofm.checkpoint.pretrained import check_load_from, converter_hint
from mmvideofm.engine.config_check import check_init_checkpoints
from mmvideofm.engine.runner_utils import (
    DictAction,
    build_runner,
    fall_back_from_amp,
    last_checkpoint,
    load_config,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a mmvideofm model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from the given checkpoint, or from the latest '
                             'checkpoint in the work dir when none is given')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (needs a GPU; fp32 on CPU)')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate during training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the actual batch size')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--deterministic', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. train_cfg.max_epochs=2')
    parser.add_argument('--trusted', action='store_true',
                        help='checkpoints may unpickle arbitrary objects (runs code: only '
                             'for files whose origin you trust)')
    parser.add_argument('--allow-mismatched-load', action='store_true',
                        help='train even if load_from fits (almost) none of the model')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def _hint(state_dict, model):
    """Converter hint with every plugin's converters registered (tools may import plugins)."""
    with contextlib.suppress(ImportError):
        importlib.import_module('projects').import_plugins()
    return converter_hint(state_dict, model)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.work_dir, args.launcher)
    notes = [fall_back_from_amp(cfg, args.amp)]
    if args.resume == 'auto':
        latest = last_checkpoint(cfg.work_dir)
        cfg.resume = latest is not None
        cfg.load_from = latest
        if latest is None:
            notes.append(f'--resume: no checkpoint in {cfg.work_dir} yet, starting a new run')
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if not cfg.get('resume'):
        check_init_checkpoints(cfg)
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.auto_scale_lr:
        cfg.setdefault('auto_scale_lr', {})['enable'] = True
    if args.seed is not None or args.deterministic:
        randomness = cfg.setdefault('randomness', {})
        if args.seed is not None:
            randomness['seed'] = args.seed
        randomness['deterministic'] = args.deterministic
    with trusted_loading(args.trusted):
        if (cfg.get('resume') and (cfg.get('randomness') or {}).get('seed') is None
                and os.path.isfile(cfg.load_from)):
            # the sampler and dataloader workers are seeded when the runner is built,
            # before mmengine reads the checkpoint's seed: take it now
            seed = load_checkpoint_file(cfg.load_from).get('meta', {}).get('seed')
            if seed is not None:
                cfg.randomness = dict(cfg.get('randomness') or {}, seed=seed)
        runner = build_runner(cfg)
        for line in filter(None, notes):  # now they also reach the run's log file
            runner.logger.warning(line)
        if cfg.get('load_from') and not cfg.get('resume') and isinstance(
                runner.model, nn.Module):  # FlexibleRunner builds its model in train()
            runner.logger.info(check_load_from(runner.model, cfg.load_from,
                                               allow_mismatch=args.allow_mismatched_load,
                                               hint=_hint))
        runner.train()


if __name__ == '__main__':
    main()
