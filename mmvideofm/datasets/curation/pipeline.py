"""The curation runner: stages per video (resumable), on a process pool or a Ray cluster.

Work dir layout::

    work_dir/
      stages/<stage>/<video key>.json   one result per video per stage ({"result": ...} or
                                        {"failed": {"stage", "reason"}}): what a rerun skips
      internvid.jsonl                   every kept clip, official schema
      subsets/<name>.jsonl              DIV / FLT / random / aesthetic subsets
      shards/<name>/shard-000000.tar    webdataset shards (mp4 + json) of one clip list
      failures.jsonl                    {"video", "path", "stage", "reason"} per failed video
      summary.json                      counts per stage and per subset

Results are written by the driver as each video finishes, atomically, so a killed run
restarts where it stopped; every random draw is seeded by (seed, video, clip), so the final
outputs equal an uninterrupted run's whatever the backend or the number of workers.
"""
from __future__ import annotations

import glob
import json
import os
import os.path as osp
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from .base import CURATION_STAGES, CurationError, CurationStage, atomic_write_json, format_timestamp
from .output import write_jsonl, write_shards
from .subsets import build_subset

__all__ = ['CurationPipeline', 'list_videos', 'run_stage_on_video', 'move_data_root']

_STAGES: dict[str, CurationStage] = {}  # per worker process: built (and set up) once


def _stage_key(cfg: dict) -> str:
    return json.dumps(cfg, sort_keys=True, default=str)


def run_stage_on_video(stage_cfg: dict, video: dict[str, Any], inputs: dict[str, dict]
                       ) -> dict[str, Any]:
    """``{'result': ...}`` or ``{'failed': {'stage', 'reason'}}`` of one video (worker side).

    Bad input (``CurationError``, ``VideoReadError``, or any error while processing) is a
    failure of this video; an error while building / setting up the stage is raised.
    """
    key = _stage_key(stage_cfg)
    stage = _STAGES.get(key)
    if stage is None:
        stage = CURATION_STAGES.build(dict(stage_cfg)).ensure_setup()
        _STAGES[key] = stage
    try:
        return dict(result=stage.process(video, inputs))
    except CurationError as e:
        reason = e.reason
    except OSError as e:  # VideoReadError and friends
        reason = f'unreadable: {getattr(e, "reason", None) or e}'
    except Exception as e:  # noqa: BLE001 - one bad video must not stop the run
        reason = f'error: {type(e).__name__}: {str(e).strip()[:300]}'
    return dict(failed=dict(stage=stage.name, reason=reason))


def move_data_root(obj: Any, old: str, new: str) -> Any:
    """``obj`` (a config dict) with every string that starts with ``old`` re-rooted at ``new``
    (``curate.py --data-root``: the paths a config built from its ``data_root`` move too)."""
    if isinstance(obj, str):
        return new + obj[len(old):] if old and obj.startswith(old) else obj
    if isinstance(obj, dict):
        return {k: move_data_root(v, old, new) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(move_data_root(v, old, new) for v in obj)
    return obj


def _worker_init() -> None:
    import torch
    torch.set_num_threads(1)


def list_videos(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """``[{key, path}]`` sorted by key from ``dict(root=..., pattern='*.mp4')`` or
    ``dict(list_file=...)`` (one path per line, relative to the file's folder)."""
    if 'list_file' in inputs:
        base = osp.dirname(osp.abspath(inputs['list_file']))
        with open(inputs['list_file']) as f:
            paths = [osp.join(base, ln.strip()) for ln in f if ln.strip()]
    elif 'root' in inputs:
        paths = glob.glob(osp.join(inputs['root'], inputs.get('pattern', '*.mp4')))
    else:
        raise ValueError("curation config key 'inputs' needs root (+ pattern) or list_file")
    videos = [dict(key=osp.splitext(osp.basename(p))[0], path=osp.abspath(p)) for p in paths]
    counts = Counter(v['key'] for v in videos)
    dup = [k for k, n in counts.items() if n > 1]
    if dup:
        raise ValueError(f'video file names must be unique ids (YoutubeID); repeated: {dup[:5]}')
    if not videos:
        raise FileNotFoundError(f'no input videos found with {inputs}')
    return sorted(videos, key=lambda v: v['key'])


class LocalBackend:
    """In this process (``workers <= 1``) or a process pool of ``workers``, started once and
    kept for every stage (each worker builds a stage's models once)."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = int(workers)
        self._pool = None

    def map(self, stage_cfg: dict, jobs: list[tuple[dict, dict]]
            ) -> Iterator[tuple[dict, dict]]:
        if self.workers <= 1 or len(jobs) <= 1:
            for video, inputs in jobs:
                yield video, run_stage_on_video(stage_cfg, video, inputs)
            return
        from concurrent.futures import as_completed
        if self._pool is None:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor
            ctx = mp.get_context('fork' if 'fork' in mp.get_all_start_methods() else 'spawn')
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx,
                                             initializer=_worker_init)
        futures = {self._pool.submit(run_stage_on_video, stage_cfg, v, i): v for v, i in jobs}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


class RayBackend:
    """Ray tasks on a local instance or a cluster (``address='auto'`` / ``'ray://host:10001'``).

    Each task asks ``resources`` of the stage (e.g. ``dict(num_gpus=1)`` for a captioner on
    GPU workers); worker processes are reused, so a stage's models load once per worker.
    """

    def __init__(self, address: str | None = None, num_cpus: int | None = None,
                 runtime_env: dict | None = None) -> None:
        import ray
        self.ray = ray
        root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
        env = dict(runtime_env or {})
        env.setdefault('env_vars', {}).setdefault(
            'PYTHONPATH', os.pathsep.join(filter(None, [root, os.environ.get('PYTHONPATH')])))
        env['env_vars'].setdefault('OMP_NUM_THREADS', '1')
        kwargs = dict(address=address, runtime_env=env, ignore_reinit_error=True,
                      log_to_driver=False)
        if address is None:  # a local instance: lean
            kwargs.update(num_cpus=num_cpus, include_dashboard=False)
        self._owned = not ray.is_initialized()
        ray.init(**kwargs)
        self._remote = ray.remote(run_stage_on_video)

    def map(self, stage_cfg: dict, jobs: list[tuple[dict, dict]], resources: dict | None = None
            ) -> Iterator[tuple[dict, dict]]:
        fn = self._remote.options(**(resources or dict(num_cpus=1)))
        pending = {fn.remote(stage_cfg, v, i): v for v, i in jobs}
        while pending:
            done, _ = self.ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield pending.pop(ref), self.ray.get(ref)

    def close(self) -> None:
        if self._owned:
            self.ray.shutdown()


def build_backend(cfg: dict) -> LocalBackend | RayBackend:
    """``dict(type='local', workers=N)`` or ``dict(type='ray', address=..., num_cpus=...)``."""
    cfg = dict(cfg)
    kind = cfg.pop('type', 'local')
    if kind == 'local':
        return LocalBackend(**cfg)
    if kind == 'ray':
        return RayBackend(**cfg)
    raise ValueError(f"curation backend must be 'local' or 'ray', got {kind!r}")


class CurationPipeline:
    """Run the configured stages over the input videos, then write jsonl, subsets, shards.

    Args:
        work_dir: Output and state folder.
        inputs: See :func:`list_videos`.
        stages: Stage configs in order (``type`` in ``CURATION_STAGES``; ``resources`` is
            handed to the Ray backend).
        subsets: ``{name: dict(type='div' | 'flt' | 'random' | 'aesthetic', ...)}``.
        output: ``dict(jsonl='internvid.jsonl', extra_fields=[...], shards=dict(subsets=
            ['flt'], maxcount=1000))`` (``'all'`` shards every clip).
        backend: See :func:`build_backend`.
        progress: tqdm bar (with ETA) per stage.
    """

    def __init__(self, work_dir: str, inputs: dict, stages: Sequence[dict],
                 subsets: dict[str, dict] | None = None, output: dict | None = None,
                 backend: dict | None = None, progress: bool = True) -> None:
        self.work_dir = work_dir
        self.inputs = dict(inputs)
        self.stage_cfgs = [dict(s) for s in stages]
        self.subsets = dict(subsets or {})
        self.output = dict(output or {})
        self.backend_cfg = dict(backend or dict(type='local'))
        self.progress = progress
        # the stages' names and requirements, checked before anything runs
        self.stages = [CURATION_STAGES.build({k: v for k, v in s.items() if k != 'resources'})
                       for s in self.stage_cfgs]
        names = [s.name for s in self.stages]
        for s in self.stages:
            missing = [r for r in s.requires if r not in names[:names.index(s.name)]]
            if missing:
                raise ValueError(f'stage {s.name!r} needs {missing} to run before it; stages '
                                 f'in order: {names}')

    def _result_path(self, stage: str, key: str) -> str:
        return osp.join(self.work_dir, 'stages', stage, f'{key}.json')

    def _load(self, stage: str, key: str) -> dict | None:
        path = self._result_path(stage, key)
        if not osp.isfile(path):
            return None
        with open(path) as f:
            return json.load(f)

    def check_stage_configs(self) -> None:
        """Refuse to resume a stage whose config changed (its stored results would be stale);
        record each stage's config (``stages/<name>/_config.json``) and drop the temporary
        files a killed run left."""
        for cfg, stage in zip(self.stage_cfgs, self.stages):
            folder = osp.join(self.work_dir, 'stages', stage.name)
            path = osp.join(folder, '_config.json')
            want = json.loads(json.dumps({k: v for k, v in cfg.items() if k != 'resources'},
                                         sort_keys=True, default=str))
            if osp.isfile(path):
                with open(path) as f:
                    have = json.load(f)
                if have != want:
                    changed = sorted(k for k in set(have) | set(want)
                                     if have.get(k) != want.get(k))
                    raise ValueError(
                        f'stage {stage.name!r} in {self.work_dir} was run with another config '
                        f'(keys {changed} differ), so its stored results do not fit this one: '
                        f'delete {folder} and the folders of the stages after it, or use '
                        'another --work-dir')
            else:
                atomic_write_json(path, want)
            for name in glob.glob(osp.join(folder, '*.json.tmp*')):
                os.remove(name)

    def run(self) -> dict[str, Any]:
        """Run (or resume) everything; returns the summary."""
        from tqdm import tqdm
        os.makedirs(self.work_dir, exist_ok=True)
        videos = list_videos(self.inputs)
        self.check_stage_configs()
        for v in videos:
            v['work_dir'] = osp.abspath(self.work_dir)
        backend = build_backend(self.backend_cfg)
        summary: dict[str, Any] = dict(videos=len(videos), stages={})
        try:
            for cfg, stage in zip(self.stage_cfgs, self.stages):
                t0 = time.perf_counter()
                jobs, state = [], {}
                for v in videos:
                    state[v['key']] = self._load(stage.name, v['key'])
                    if state[v['key']] is not None:
                        continue
                    ups = {r: self._load(r, v['key']) for r in stage.requires}
                    if any(u is None or 'failed' in u for u in ups.values()):
                        continue  # failed upstream: not this stage's failure
                    jobs.append((v, {r: u['result'] for r, u in ups.items()}))
                resources = cfg.get('resources')
                stage_cfg = {k: val for k, val in cfg.items() if k != 'resources'}
                bar = tqdm(total=len(jobs), desc=f'[{stage.name}]', unit='video',
                           disable=not self.progress)
                clips = 0
                it = (backend.map(stage_cfg, jobs, resources) if isinstance(backend, RayBackend)
                      else backend.map(stage_cfg, jobs))
                for video, outcome in it:
                    atomic_write_json(self._result_path(stage.name, video['key']), outcome)
                    state[video['key']] = outcome
                    clips += len(outcome.get('result', {}).get('clips', ()))
                    bar.update(1)
                    bar.set_postfix(clips=clips, refresh=False)
                bar.close()
                summary['stages'][stage.name] = self._stage_summary(
                    stage, state, len(jobs), time.perf_counter() - t0)
        finally:
            backend.close()
        records = self.records(videos)
        summary.update(self.write_outputs(videos, records))
        atomic_write_json(osp.join(self.work_dir, 'summary.json'), summary)
        return summary

    def _stage_summary(self, stage: CurationStage, state: dict, ran: int, seconds: float
                       ) -> dict[str, Any]:
        done = [s['result'] for s in state.values() if s is not None and 'result' in s]
        out = dict(done=len(done), failed=sum(1 for s in state.values()
                                              if s is not None and 'failed' in s),
                   ran_now=ran, seconds=round(seconds, 3))
        if done and 'clips' in done[0]:
            out['clips_kept'] = sum(len(d['clips']) for d in done)
            out['clips_dropped'] = dict(sorted(Counter(
                c['reason'] for d in done for c in d['dropped']).items()))
        return out

    def records(self, videos: Sequence[dict]) -> list[dict[str, Any]]:
        """One record per kept clip of every video that passed all stages (video order)."""
        out = []
        for v in videos:
            res = {s.name: self._load(s.name, v['key']) for s in self.stages}
            if any(r is None or 'failed' in r for r in res.values()):
                continue
            res = {k: r['result'] for k, r in res.items()}
            scenes = next(r for r in res.values() if 'clips' in r)
            for i, clip in enumerate(scenes['clips']):
                rec = dict(YoutubeID=v['key'], Start_timestamp=format_timestamp(clip['start']),
                           End_timestamp=format_timestamp(clip['end']))
                for r in res.values():
                    for field, values in r.items():
                        if isinstance(values, list) and field not in ('clips', 'dropped',
                                                                       'cuts'):
                            rec[field] = values[i]
                rec.update(duration=round(clip['duration'], 3), motion=clip['motion'],
                           _key=f'{v["key"]}_{i:04d}', _video=v['path'],
                           _start_frame=clip['start_frame'], _end_frame=clip['end_frame'])
                out.append(rec)
        return out

    def failures(self, videos: Sequence[dict]) -> list[dict[str, Any]]:
        """``{video, path, stage, reason}`` for every failed video (stage order)."""
        rows = []
        for v in videos:
            for s in self.stages:
                r = self._load(s.name, v['key'])
                if r is not None and 'failed' in r:
                    rows.append(dict(video=v['key'], path=v['path'], **r['failed']))
                    break
        return rows

    def write_outputs(self, videos: Sequence[dict], records: list[dict]) -> dict[str, Any]:
        """jsonl, subsets, shards, failures.jsonl; returns their counts."""
        wd = self.work_dir
        extra = list(self.output.get('extra_fields', ()))
        write_jsonl(osp.join(wd, self.output.get('jsonl', 'internvid.jsonl')), records, extra)
        lists = dict(all=records)
        for name, cfg in self.subsets.items():
            lists[name] = build_subset(records, cfg)
            write_jsonl(osp.join(wd, 'subsets', f'{name}.jsonl'), lists[name], extra)
        shards = self.output.get('shards') or {}
        for name in shards.get('subsets', ()):
            if name not in lists:
                raise KeyError(f"output.shards.subsets names {name!r}, not one of {list(lists)}")
            write_shards(osp.join(wd, 'shards', name), lists[name],
                         shards.get('maxcount', 1000), extra)
        fails = self.failures(videos)
        with open(osp.join(wd, 'failures.jsonl'), 'w') as f:
            f.writelines(json.dumps(r) + '\n' for r in fails)
        return dict(clips=len(records), failures=len(fails),
                    failures_by_stage=dict(Counter(r['stage'] for r in fails)),
                    subsets={k: len(v) for k, v in lists.items() if k != 'all'})
