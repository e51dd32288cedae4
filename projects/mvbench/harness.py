"""Resumable, shardable MVBench evaluation loop (used by ``tools/mvbench/evaluate.py``).

Predictions are appended to ``<work_dir>/predictions/rank<r>.jsonl`` as they are made
(one line per question, flushed), so a killed run resumes where it stopped: every
question already present in *any* shard file is skipped. Sharding uses MMEngine's
``DefaultSampler`` (``rank``/``world_size`` from ``torch.distributed``, or given
explicitly for independent processes). When all questions have predictions, rank 0
merges the shards and writes ``leaderboard.json``, ``results.json`` and
``predictions.jsonl``.
"""
import glob
import json
import os
import os.path as osp
import sys
import time

import torch
from mmengine.dataset import DefaultSampler, pseudo_collate
from mmengine.dist import barrier, get_dist_info
from mmengine.logging import print_log

from .metric import format_table, score_record, summarize, write_outputs

__all__ = ['read_predictions', 'evaluate_mvbench', 'merge_predictions']


def _repair_tail(path: str) -> None:
    """Drop a partial last line (a run killed mid-write) so appends stay line-aligned."""
    with open(path, 'rb') as f:
        data = f.read()
    if data and not data.endswith(b'\n'):
        with open(path, 'wb') as f:
            f.write(data[:data.rfind(b'\n') + 1])


def read_predictions(pred_dir: str) -> dict[str, dict]:
    """All complete records under ``pred_dir/*.jsonl``, keyed by ``qid``."""
    out: dict[str, dict] = {}
    for path in sorted(glob.glob(osp.join(pred_dir, '*.jsonl'))):
        with open(path, encoding='utf-8') as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # truncated line of a killed run
                out.setdefault(rec['qid'], rec)
    return out


def _shard_sampler(dataset, rank: int | None, world_size: int | None) -> DefaultSampler:
    sampler = DefaultSampler(dataset, shuffle=False, round_up=False)
    if world_size is not None:  # explicit shard of an independent (non-torch.dist) process
        if not 0 <= (rank or 0) < world_size:
            raise ValueError(f'rank must be in [0, {world_size}), got {rank}')
        sampler.rank, sampler.world_size = rank or 0, world_size
        sampler.num_samples = len(range(sampler.rank, len(dataset), world_size))
        sampler.total_size = len(dataset)
    return sampler


def merge_predictions(dataset, pred_dir: str, out_dir: str) -> dict | None:
    """Score all shard files; write the outputs when every question has a prediction."""
    preds = read_predictions(pred_dir)
    qids = [dataset.get_data_info(i)['qid'] for i in range(len(dataset))]
    todo = [q for q in qids if q not in preds]
    if todo:
        print_log(f'MVBench: {len(qids) - len(todo)}/{len(qids)} questions have predictions; '
                  f'run the remaining shards (e.g. {todo[:3]}) before merging', logger='current',
                  level=30)
        return None
    records = [score_record(preds[q]) for q in qids]
    summary = summarize(records, dataset.metainfo)
    write_outputs(out_dir, summary, records)
    print_log('MVBench results\n' + format_table(summary), logger='current')
    return summary


def evaluate_mvbench(model, dataset, work_dir: str, rank: int | None = None,
                     world_size: int | None = None, num_workers: int = 0,
                     progress: bool = True, device: str | None = None) -> dict | None:
    """Evaluate ``model`` (an :class:`MVBenchQA`) on ``dataset``; resumable.

    Returns the summary dict on the process that merged, else ``None``.
    """
    pred_dir = osp.join(work_dir, 'predictions')
    os.makedirs(pred_dir, exist_ok=True)
    d_rank, d_world = get_dist_info()
    sampler = _shard_sampler(dataset, rank, world_size)
    shard_rank = sampler.rank
    report = dataset.missing_report() if hasattr(dataset, 'missing_report') else ''
    if report and shard_rank == 0:
        print_log('MVBench: missing videos (excluded, counted per task):\n' + report,
                  logger='current', level=30)

    out_path = osp.join(pred_dir, f'rank{shard_rank}.jsonl')
    if osp.exists(out_path):
        _repair_tail(out_path)
    done = read_predictions(pred_dir)
    mine = list(iter(sampler))
    todo = [i for i in mine if dataset.get_data_info(i)['qid'] not in done]
    if len(todo) < len(mine):
        print_log(f'MVBench: resuming, {len(mine) - len(todo)}/{len(mine)} questions of this '
                  f'shard already predicted', logger='current')

    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model = model.to(device).eval()
    loader = torch.utils.data.DataLoader(dataset, batch_size=1, sampler=todo,
                                         num_workers=num_workers, collate_fn=pseudo_collate)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(mine), initial=len(mine) - len(todo), desc=f'MVBench[{shard_rank}]',
                   unit='q', file=sys.stderr, dynamic_ncols=True, mininterval=0.5)
    t0 = time.time()
    with open(out_path, 'a', encoding='utf-8') as f, torch.no_grad():
        for data in loader:
            for rec in model.test_step(data):
                f.write(json.dumps(rec) + '\n')
                f.flush()
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    print_log(f'MVBench[{shard_rank}]: {len(todo)} new predictions in {time.time() - t0:.1f}s '
              f'-> {out_path}', logger='current')

    if d_world > 1:
        barrier()
    if d_rank == 0 and shard_rank == 0:
        return merge_predictions(dataset, pred_dir, work_dir)
    return None
