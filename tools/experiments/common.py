"""What the experiment scripts share: train a config through mmengine's Runner, collect its
validation metrics and loss curve, print and save the comparison."""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import time

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def config_path(name: str) -> str:
    """``configs/<name>`` of this repository."""
    return osp.join(REPO, 'configs', name)


def make_parser(doc: str, work_dir: str) -> argparse.ArgumentParser:
    """The options every experiment has: ``--work-dir``, ``--seed``, ``--threads``."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default=work_dir)
    parser.add_argument('--seed', type=int, default=0, help='randomness.seed of every run')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads (tiny models: more mostly add overhead)')
    return parser


def set_threads(threads: int) -> None:
    """One torch thread per run unless asked (the runs are tiny)."""
    import torch
    torch.set_num_threads(threads)


def run_config(config: str, work_dir: str, options: dict | None = None, seed: int = 0
               ) -> dict:
    """Train ``config`` (path) as ``tools/train.py`` does, in ``work_dir``, with ``options``
    merged and ``randomness.seed = seed``.

    Returns ``dict(metrics=<last validation metrics>, checkpoint=<last checkpoint>,
    loss=<mean train loss over the first and the last fifth of the iterations>,
    seconds=<wall time>)``.
    """
    from mmengine.runner import Runner

    from mmvideofm.engine.runner_utils import load_config
    cfg = load_config(config, dict(options or {}), work_dir)
    cfg.randomness = dict(seed=seed, deterministic=False)
    start = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    seconds = time.time() - start
    hub = runner.message_hub
    metrics = {k[len('val/'):]: float(v.current()) for k, v in hub.log_scalars.items()
               if k.startswith('val/')}
    losses = hub.log_scalars['train/loss'].data[0] if 'train/loss' in hub.log_scalars else []
    fifth = max(1, len(losses) // 5)
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    return dict(metrics=metrics, checkpoint=checkpoint, seconds=round(seconds, 1),
                loss=[float(losses[:fifth].mean()), float(losses[-fifth:].mean())]
                if len(losses) else [])


def report(title: str, header: list[str], rows: list[list], result: dict, out: str) -> None:
    """Print a markdown table of ``rows`` and write ``result`` as JSON to ``out``."""
    print(f'\n{title}\n')
    print('| ' + ' | '.join(header) + ' |')
    print('|' + '---|' * len(header))
    for row in rows:
        print('| ' + ' | '.join(f'{v:.1f}' if isinstance(v, float) else str(v)
                                for v in row) + ' |')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(result, f, indent=1)
    print(f'\nresults -> {out}')
