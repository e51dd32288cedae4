"""Resumable, shardable MVBench evaluation loop (used by ``tools/mvbench/evaluate.py``).

Predictions are appended to ``<work_dir>/predictions/rank<r>.jsonl`` as they are made
(one line per question, flushed), so a killed run resumes where it stopped: every
question already present in *any* shard file is skipped -- but only when the files were
written by the same run: every record carries the id of a run *fingerprint* (model and
dataset config, checkpoint path/size/mtime, prompt template, frame count, harness version),
kept in full in ``predictions/fingerprint.json``; a mismatch refuses to resume
(:class:`ResumeMismatchError`) instead of scoring another model's answers. Sharding uses MMEngine's
``DefaultSampler`` (``rank``/``world_size`` from ``torch.distributed``, or given
explicitly for independent processes). When all questions have predictions, rank 0
merges the shards and writes ``leaderboard.json``, ``results.json`` and
``predictions.jsonl``.
"""
import glob
import hashlib
import json
import os
import os.path as osp
import shutil
import sys
import time

import torch
from mmengine.dataset import DefaultSampler, pseudo_collate
from mmengine.dist import barrier, get_dist_info
from mmengine.logging import print_log

from mmvideofm.registry import MODELS

from .metric import format_table, score_record, summarize, write_outputs

__all__ = ['read_predictions', 'evaluate_mvbench', 'merge_predictions', 'run_fingerprint',
           'fingerprint_id', 'ResumeMismatchError', 'HARNESS_VERSION']

#: bump when prompt building, answer post-processing or record fields change
HARNESS_VERSION = 2
FINGERPRINT_FILE = 'fingerprint.json'
OUTPUT_FILES = ('leaderboard.json', 'results.json', 'predictions.jsonl')


class ResumeMismatchError(RuntimeError):
    """The work dir holds predictions of a different run."""


def _answer_relevant(cfg):
    """Config as plain data, minus the args a registered class declares answer-neutral
    (``fingerprint_exclude``, e.g. the test-only ``delay_s`` of MVBenchRandomChoice)."""
    if isinstance(cfg, dict):
        cls = None
        if isinstance(cfg.get('type'), str):
            try:
                cls = MODELS.get(cfg['type'])
            except Exception:  # noqa: BLE001 - an unknown type is simply not filtered
                cls = None
        skip = set(getattr(cls, 'fingerprint_exclude', ()))
        return {k: _answer_relevant(v) for k, v in cfg.items() if k not in skip}
    if isinstance(cfg, (list, tuple)):
        return [_answer_relevant(v) for v in cfg]
    return cfg if isinstance(cfg, (str, int, float, bool, type(None))) else repr(cfg)


def _num_frames(dataset) -> int | None:
    for t in getattr(getattr(dataset, 'pipeline', None), 'transforms', []):
        if hasattr(t, 'num_segments'):
            return int(t.num_segments)
    return None


def run_fingerprint(model=None, dataset=None, model_cfg: dict | None = None,
                    dataset_cfg: dict | None = None, checkpoint: str | None = None) -> dict:
    """What decides the answers of a run: harness version, prompt template, frame count,
    model and dataset config (or the model's repr when no config is given) and the
    checkpoint (absolute path, size, mtime)."""
    template = getattr(model, 'template', None)
    fp = dict(harness_version=HARNESS_VERSION,
              prompt=template.to_dict() if hasattr(template, 'to_dict') else None,
              num_frames=_num_frames(dataset),
              model_config=_answer_relevant(model_cfg) if model_cfg is not None else repr(model),
              dataset_config=_answer_relevant(dataset_cfg) if dataset_cfg is not None else None,
              checkpoint=None)
    if checkpoint:
        st = os.stat(checkpoint)
        fp['checkpoint'] = dict(path=osp.abspath(checkpoint), size=st.st_size,
                                mtime_ns=st.st_mtime_ns)
    return json.loads(json.dumps(fp, sort_keys=True, default=repr))  # plain, stable data


def fingerprint_id(fp: dict) -> str:
    """Short stable hash of a fingerprint (stored in every prediction record)."""
    return hashlib.sha256(json.dumps(fp, sort_keys=True).encode()).hexdigest()[:16]


def _mismatch(pred_dir: str, what: str) -> ResumeMismatchError:
    return ResumeMismatchError(
        f'{pred_dir} holds predictions of a different run ({what}); refusing to resume, '
        f'since its answers would be scored as this model\'s. Start fresh with --overwrite '
        f'(evaluate_mvbench(..., overwrite=True)) or choose another --work-dir.')


def _check_resumable(pred_dir: str, fp: dict, fp_id: str, done: dict[str, dict]) -> None:
    path = osp.join(pred_dir, FINGERPRINT_FILE)
    if osp.exists(path):
        with open(path, encoding='utf-8') as f:
            old = json.load(f)['fingerprint']
        if fingerprint_id(old) != fp_id:
            keys = sorted(k for k in set(old) | set(fp) if old.get(k) != fp.get(k))
            raise _mismatch(pred_dir, 'differs in: ' + ', '.join(keys))
    ids = {rec.get('fingerprint') for rec in done.values()}
    if ids - {fp_id}:
        what = ('records without a fingerprint, from an older harness' if None in ids
                else f'records of run(s) {sorted(i for i in ids if i)}, this run is {fp_id}')
        raise _mismatch(pred_dir, what)


def _write_fingerprint(pred_dir: str, fp: dict, fp_id: str) -> None:
    path = osp.join(pred_dir, FINGERPRINT_FILE)
    tmp = f'{path}.{os.getpid()}.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(dict(id=fp_id, fingerprint=fp), f, indent=2, sort_keys=True)
    os.replace(tmp, path)  # atomic; concurrent ranks write identical content


def _clear_run(work_dir: str, pred_dir: str, shard_file: str | None) -> None:
    """``--overwrite``: drop earlier predictions (one shard's file only for independent
    shards) and the merged outputs."""
    if shard_file is None:
        shutil.rmtree(pred_dir, ignore_errors=True)
    elif osp.exists(shard_file):
        os.remove(shard_file)
    for name in OUTPUT_FILES:
        if osp.exists(osp.join(work_dir, name)):
            os.remove(osp.join(work_dir, name))


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
    ids = {preds[q].get('fingerprint') for q in qids}
    if len(ids) > 1:
        raise _mismatch(pred_dir, f'the shards mix runs {sorted(map(str, ids))}')
    records = [score_record(preds[q]) for q in qids]
    summary = summarize(records, dataset.metainfo)
    write_outputs(out_dir, summary, records)
    print_log('MVBench results\n' + format_table(summary), logger='current')
    return summary


def evaluate_mvbench(model, dataset, work_dir: str, rank: int | None = None,
                     world_size: int | None = None, num_workers: int = 0,
                     progress: bool = True, device: str | None = None,
                     fingerprint: dict | None = None, overwrite: bool = False) -> dict | None:
    """Evaluate ``model`` (an :class:`MVBenchQA`) on ``dataset``; resumable.

    ``fingerprint`` (default: :func:`run_fingerprint` of ``model`` and ``dataset``) must
    match the one of earlier predictions in ``work_dir`` to resume; ``overwrite`` starts
    fresh. Returns the summary dict on the process that merged, else ``None``.
    """
    pred_dir = osp.join(work_dir, 'predictions')
    d_rank, d_world = get_dist_info()
    sampler = _shard_sampler(dataset, rank, world_size)
    shard_rank = sampler.rank
    out_path = osp.join(pred_dir, f'rank{shard_rank}.jsonl')
    fp = fingerprint if fingerprint is not None else run_fingerprint(model, dataset)
    fp_id = fingerprint_id(fp)
    if overwrite and (world_size is not None or d_rank == 0):
        _clear_run(work_dir, pred_dir, out_path if world_size is not None else None)
    if overwrite and d_world > 1:
        barrier()
    os.makedirs(pred_dir, exist_ok=True)
    report = dataset.missing_report() if hasattr(dataset, 'missing_report') else ''
    if report and shard_rank == 0:
        print_log('MVBench: missing videos (excluded, counted per task):\n' + report,
                  logger='current', level=30)

    if osp.exists(out_path):
        _repair_tail(out_path)
    done = read_predictions(pred_dir)
    if overwrite and world_size is not None:  # other shards' files are checked at merge
        done = {q: r for q, r in done.items() if r.get('fingerprint') == fp_id}
    else:
        _check_resumable(pred_dir, fp, fp_id, done)
    _write_fingerprint(pred_dir, fp, fp_id)
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
                rec['fingerprint'] = fp_id
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
