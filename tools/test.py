"""Evaluate a checkpoint on a config's test set (mmaction2-style flags).

    .venv/bin/python tools/test.py CONFIG [CHECKPOINT|WORK_DIR] [--work-dir DIR] [--dump results.pkl]
                                [--cfg-options k=v ...] [--trusted] [--allow-random-weights]
                                [--launcher pytorch]

CHECKPOINT may be a work dir: the file its ``last_checkpoint`` names is taken from that
dir (so a moved or copied work dir evaluates its own file). Without a checkpoint, only
models with no trainable parameters (Point-NN, oracles, baselines) are evaluated unless
``--allow-random-weights``.
"""
import argparse
import contextlib
import importlib
import os
import os.path as osp

from torch import nn

from mmvideofm.checkpoint.io import trusted_loading
from mmvideofm.checkpoint.pretrained import converter_hint
from mmvideofm.engine.runner_utils import (
    DictAction,
    build_runner,
    last_checkpoint,
    load_config,
    verify_checkpoint_keys,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a mmvideofm model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='checkpoint file, or a work dir whose last_checkpoint is used; '
                             'omit for models without trainable parameters (baselines)')
    parser.add_argument('--work-dir', help='the dir to save evaluation results')
    parser.add_argument('--dump', type=str, help='dump predictions to a pickle file')
    parser.add_argument('--amp', action='store_true', help='test with autocast')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    parser.add_argument('--no-strict', action='store_true',
                        help='evaluate even if checkpoint keys do not match the model')
    parser.add_argument('--allow-random-weights', action='store_true',
                        help='evaluate a model with trainable parameters without a checkpoint')
    parser.add_argument('--trusted', action='store_true',
                        help='the checkpoint may unpickle arbitrary objects (runs code: only '
                             'for files whose origin you trust)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def resolve_checkpoint(path):
    """A checkpoint file, or the file a work dir's ``last_checkpoint`` names, in that dir
    (a moved or copied work dir evaluates its own file; a warning says so)."""
    if path is None or osp.isfile(path):
        return path
    local = last_checkpoint(path) if osp.isdir(path) else None
    if local is None:
        raise FileNotFoundError(f'checkpoint not found: {path!r} (give a .pth file or a work '
                                f'dir containing last_checkpoint)')
    return local


def needs_checkpoint(model: nn.Module) -> bool:
    """Whether evaluating ``model`` without a checkpoint means random weights (a model not
    built yet, as FlexibleRunner's config dict, counts as trainable)."""
    model = getattr(model, 'module', model)
    return not isinstance(model, nn.Module) or any(p.requires_grad for p in model.parameters())


def _hint(state_dict, model):
    """Converter hint with every plugin's converters registered (tools may import plugins)."""
    with contextlib.suppress(ImportError):
        importlib.import_module('projects').import_plugins()
    return converter_hint(state_dict, model)


def main(argv=None):
    args = parse_args(argv)
    checkpoint = resolve_checkpoint(args.checkpoint)
    cfg = load_config(args.config, args.cfg_options, args.work_dir, args.launcher)
    cfg.load_from = checkpoint
    if args.amp:
        cfg.test_cfg = dict(cfg.get('test_cfg') or dict(type='TestLoop'), fp16=True)
    if args.dump:
        assert args.dump.endswith(('.pkl', '.pickle')), 'the dump file must be a pickle'
        cfg.test_evaluator = list(cfg.test_evaluator) if isinstance(
            cfg.test_evaluator, (list, tuple)) else [cfg.test_evaluator]
        cfg.test_evaluator.append(dict(type='DumpResults', out_file_path=args.dump))
    runner = build_runner(cfg)
    if checkpoint is None and needs_checkpoint(runner.model) and not args.allow_random_weights:
        raise SystemExit(f'{args.config}: no checkpoint given and the model has trainable '
                         f'parameters, so it would be evaluated with random weights. Give a '
                         f'checkpoint (or a work dir), or pass --allow-random-weights to '
                         f'evaluate the untrained model on purpose.')
    with trusted_loading(args.trusted):
        if checkpoint is not None and not args.no_strict and isinstance(runner.model, nn.Module):
            verify_checkpoint_keys(runner.model, checkpoint, hint=_hint)
        metrics = runner.test()
    print('final metrics: ' + ', '.join(f'{k}: {v:.4f}' if isinstance(v, float) else f'{k}: {v}'
                                        for k, v in metrics.items()))
    return metrics


if __name__ == '__main__':
    main()
