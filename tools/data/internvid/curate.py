"""InternVid curation: raw videos -> scene clips -> captions -> scores -> subsets -> jsonl + shards.

    .venv/bin/python tools/data/internvid/curate.py configs/internvid/curate_synthetic.py \
        --work-dir work_dirs/curate_synthetic --workers 2
    .venv/bin/python tools/data/internvid/curate.py CONFIG --backend ray --address auto

The config (an mmengine config file) holds ``inputs``, ``stages``, ``subsets``, ``output`` and
``backend``; see ``mmvideofm/datasets/curation/pipeline.py`` and tools/data/internvid/README.md.
A rerun with the same work dir resumes per video per stage.
"""
from __future__ import annotations

import argparse
import json

from mmengine.config import Config, DictAction

import mmvideofm  # noqa: F401  (compat shims)
from mmvideofm.datasets.curation import CurationPipeline, move_data_root


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', help='curation config file')
    p.add_argument('--work-dir', help='output / state folder (default: the config work_dir)')
    p.add_argument('--backend', choices=['local', 'ray'], help='override the config backend')
    p.add_argument('--workers', type=int, help='local backend: processes (1: this process)')
    p.add_argument('--address', help="ray backend: cluster address ('auto', 'ray://host:10001'); "
                   'none starts a local instance')
    p.add_argument('--num-cpus', type=int, help='ray backend: CPUs of a local instance')
    p.add_argument('--data-root', help='replace the config data_root (and the paths built '
                   'from it)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                   help='override config keys, e.g. subsets.div.num=1000')
    p.add_argument('--no-progress', action='store_true')
    return p.parse_args(argv)


def build_pipeline(args: argparse.Namespace) -> CurationPipeline:
    """The pipeline the config and the command line describe."""
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    work_dir = args.work_dir or cfg.get('work_dir')
    if not work_dir:
        raise SystemExit('curate.py: give --work-dir (or work_dir in the config)')
    backend = dict(cfg.get('backend', dict(type='local')))
    if args.backend and args.backend != backend.get('type', 'local'):
        backend = dict(type=args.backend)
    if args.workers is not None:
        backend.update(type='local', workers=args.workers)
    if backend.get('type') == 'ray':
        if args.address:
            backend['address'] = args.address
        if args.num_cpus:
            backend['num_cpus'] = args.num_cpus
    cfg_dict = cfg.to_dict()
    if args.data_root:
        cfg_dict = move_data_root(cfg_dict, cfg_dict.get('data_root', ''), args.data_root)
    return CurationPipeline(work_dir=work_dir, inputs=cfg_dict['inputs'],
                            stages=cfg_dict['stages'], subsets=cfg_dict.get('subsets'),
                            output=cfg_dict.get('output'), backend=backend,
                            progress=not args.no_progress)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    summary = build_pipeline(args).run()
    print(json.dumps(summary, indent=1))
    return summary


if __name__ == '__main__':
    main()
