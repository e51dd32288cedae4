"""Evaluate a checkpoint on a config's test set (mmaction2-style flags).

    python tools/test.py CONFIG CHECKPOINT|WORK_DIR [--work-dir DIR] [--dump results.pkl]
                                          [--cfg-options k=v ...] [--launcher pytorch]

CHECKPOINT may be a work dir: its ``last_checkpoint`` is used.
"""
import argparse
import os
import os.path as osp

from mmengine.runner import Runner

from mmvideofm.engine.runner_utils import DictAction, load_config, verify_checkpoint_keys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a mmvideofm model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='checkpoint file, or a work dir whose last_checkpoint is used; '
                             'omit for models that need none (baselines)')
    parser.add_argument('--work-dir', help='the dir to save evaluation results')
    parser.add_argument('--dump', type=str, help='dump predictions to a pickle file')
    parser.add_argument('--amp', action='store_true', help='test with autocast')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    parser.add_argument('--no-strict', action='store_true',
                        help='evaluate even if checkpoint keys do not match the model')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def resolve_checkpoint(path):
    """A checkpoint file, or the ``last_checkpoint`` of a work dir."""
    if path is None or osp.isfile(path):
        return path
    marker = osp.join(path, 'last_checkpoint')
    if osp.isdir(path) and osp.isfile(marker):
        with open(marker) as f:
            return f.read().strip()
    raise FileNotFoundError(f'checkpoint not found: {path!r} (give a .pth file or a work dir '
                            f'containing last_checkpoint)')


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
    runner = Runner.from_cfg(cfg)
    if checkpoint is not None and not args.no_strict:
        verify_checkpoint_keys(runner.model, checkpoint)
    metrics = runner.test()
    print('final metrics: ' + ', '.join(f'{k}: {v:.4f}' if isinstance(v, float) else f'{k}: {v}'
                                        for k, v in metrics.items()))
    return metrics


if __name__ == '__main__':
    main()
