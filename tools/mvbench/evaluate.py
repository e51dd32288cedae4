"""Evaluate a model on MVBench: resumable, with a progress bar, shardable.

    .venv/bin/python tools/mvbench/evaluate.py CONFIG [--work-dir DIR] [--checkpoint CKPT [--no-strict]]
        [--cfg-options k=v ...] [--launcher none|pytorch] [--rank R --world-size N]
        [--num-workers W] [--merge-only] [--overwrite] [--no-progress]

Predictions go to ``WORK_DIR/predictions/rank<r>.jsonl`` as they are made; re-running
the same command resumes. Resuming requires the same run (config, checkpoint, prompt,
frame count, harness version: ``predictions/fingerprint.json``); anything else is refused
-- start fresh with ``--overwrite`` or use another ``--work-dir``. ``--checkpoint`` must
match the model's keys (as in ``tools/test.py``; ``--no-strict`` overrides). Multi-GPU: ``torchrun --nproc_per_node N tools/mvbench/
evaluate.py CONFIG --launcher pytorch`` (MMEngine's distributed sampler shards the
questions). Independent processes: ``--rank r --world-size N`` each, then
``--merge-only``. Outputs: ``leaderboard.json`` (official format), ``results.json``
(per-task counts, strict scores, missing/unreadable/empty counts), ``predictions.jsonl``.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmengine.config import DictAction  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Evaluate a model on MVBench (resumable)')
    p.add_argument('config')
    p.add_argument('--work-dir', help='outputs and predictions (default work_dirs/<config>)')
    p.add_argument('--checkpoint', help='weights to load into the model (optional)')
    p.add_argument('--no-strict', action='store_true',
                   help='load --checkpoint even if its keys do not match the model')
    p.add_argument('--overwrite', action='store_true',
                   help='discard earlier predictions in the work dir and start fresh')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override settings')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    p.add_argument('--rank', type=int, help='shard index for independent processes')
    p.add_argument('--world-size', type=int, help='number of independent shards')
    p.add_argument('--num-workers', type=int, default=0, help='data loading workers')
    p.add_argument('--merge-only', action='store_true', help='only merge shard predictions')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = p.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config
    from mmengine.dist import init_dist
    from mmengine.registry import DefaultScope
    from mmengine.utils import import_modules_from_strings

    import mmvideofm  # noqa: F401  (compat shims)
    from mmvideofm.registry import DATASETS, MODELS

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    else:
        import projects.mvbench  # noqa: F401
    from projects.mvbench.harness import (
        ResumeMismatchError,
        evaluate_mvbench,
        merge_predictions,
        run_fingerprint,
    )

    work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.launcher != 'none':
        init_dist(args.launcher, backend='nccl' if _cuda() else 'gloo')
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmvideofm')):
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
        if args.merge_only:
            try:
                summary = merge_predictions(dataset, osp.join(work_dir, 'predictions'),
                                            work_dir)
            except ResumeMismatchError as err:
                raise SystemExit(f'evaluate.py: {err}') from None
            return 0 if summary is not None else 1
        model = MODELS.build(cfg.model)
        if args.checkpoint:
            _load_checkpoint(model, args.checkpoint, strict=not args.no_strict,
                             plugins=_plugins(cfg))
        fingerprint = run_fingerprint(model, dataset, model_cfg=cfg.model.to_dict(),
                                      dataset_cfg=cfg.test_dataloader.dataset.to_dict(),
                                      checkpoint=args.checkpoint)
        try:
            summary = evaluate_mvbench(model, dataset, work_dir, rank=args.rank,
                                       world_size=args.world_size,
                                       num_workers=args.num_workers,
                                       progress=not args.no_progress,
                                       fingerprint=fingerprint, overwrite=args.overwrite)
        except ResumeMismatchError as err:
            raise SystemExit(f'evaluate.py: {err}') from None
    if summary is not None:
        print(f'MVBench Avg {summary["leaderboard"]["Avg"]:.2f} (official rule), '
              f'{summary["strict"]["Avg"]:.2f} (strict); outputs in {work_dir}')
    return 0


def _plugins(cfg) -> list[str]:
    imports = (cfg.get('custom_imports') or {}).get('imports', [])
    imports = [imports] if isinstance(imports, str) else imports
    return [m.split('.')[1] for m in imports if m.startswith('projects.') and '.' in m]


def _load_checkpoint(model, path: str, strict: bool, plugins: list[str]) -> None:
    """Checked loading (as ``tools/test.py``): list mismatching keys, name the converter."""
    from mmvideofm.checkpoint import (
        CONVERTERS,
        StateDictMismatchError,
        load_checkpoint_file,
        load_state_dict_checked,
        unwrap_state_dict,
    )
    sd = unwrap_state_dict(load_checkpoint_file(path))
    names = sorted(n for n in CONVERTERS.module_dict if n.split('/')[0] in plugins)
    try:
        missing, unexpected = load_state_dict_checked(
            model, sd, strict=strict, converter_hint=' | '.join(names) or None)
    except StateDictMismatchError as err:
        from projects import import_plugins
        import_plugins()
        raise SystemExit(f'evaluate.py: {path}: {err}\n  registered converters: '
                         f'{sorted(CONVERTERS.module_dict)}\n  (--no-strict loads it anyway)'
                         ) from None
    print(f'loaded {path}' + (f' (--no-strict: {len(missing)} missing, {len(unexpected)} '
                               f'unexpected keys ignored)' if missing or unexpected else ''))


def _cuda() -> bool:
    import torch
    return torch.cuda.is_available()


if __name__ == '__main__':
    sys.exit(main())
