"""Static-to-dynamic MCQ generation: temporal annotations -> MVBench task JSONs.

The paper's recipe (Sec. 3.2, Fig. 2): per task, a question (template, or an LLM
rewrite), options = the ground-truth answer + distractors from the task's label space,
shuffled so answer positions are balanced, with option-length checks and data
filtering (clip length, one QA per video, duplicates). Here the default is
template-only and deterministic; ``rewrite_hook`` plugs in an LLM.

An *annotation* is a dict::

    dict(task='Moving Direction', video='clip_0007.mp4', answer='Down',
         fields={...}            # template fields, e.g. object='red circle'
         duration=2.0,           # seconds (filtering), optional
         start=..., end=...,     # for bound tasks, optional
         distractors=[...])      # optional: overrides the task's label space
"""
import json
import os
import os.path as osp
import zlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from ..tasks import get_task

__all__ = ['MCQTaskSpec', 'MCQGenerator', 'write_mvbench_jsons', 'balanced_positions']


@dataclass
class MCQTaskSpec:
    """How one task's questions are made.

    Args:
        task: MVBench task name (decides the JSON file).
        templates: question templates, formatted with the annotation's ``fields``.
        label_space: answers distractors are drawn from (unless an annotation supplies
            ``distractors``); ``None``: every annotation must supply them.
        num_options: options per question (answer included).
        min_duration, max_duration: keep clips within this length (seconds).
        max_len_ratio: longest / shortest option length allowed (option-length sanity).
    """

    task: str
    templates: list[str]
    label_space: list[str] | None
    num_options: int
    min_duration: float = 0.0
    max_duration: float = float('inf')
    max_len_ratio: float = 4.0

    def __post_init__(self) -> None:
        get_task(self.task)  # validates the name
        if self.num_options < 2:
            raise ValueError(f'{self.task}: num_options must be >= 2')
        if self.label_space is not None and len(set(self.label_space)) < self.num_options:
            raise ValueError(f'{self.task}: label space has {len(set(self.label_space))} '
                             f'answers, fewer than num_options={self.num_options}')


def _seed(*parts) -> int:
    return zlib.crc32('\x1f'.join(str(p) for p in parts).encode()) & 0xFFFFFFFF


def balanced_positions(n: int, k: int, rng: np.random.Generator) -> list[int]:
    """``n`` answer positions in ``[0, k)``: every block of ``k`` holds each once, so any
    two letters' counts differ by at most 1 (and the order is not predictable)."""
    out: list[int] = []
    while len(out) < n:
        out.extend(rng.permutation(k).tolist())
    return out[:n]


@dataclass
class MCQGenerator:
    """Turn annotations into MVBench items, deterministically.

    Args:
        specs: one :class:`MCQTaskSpec` per task.
        seed: everything random (distractors, shuffles, template choice) derives from it.
        rewrite_hook: optional ``fn(question, annotation) -> question`` (e.g. an LLM);
            ``None`` keeps the template question.
        max_resample: distractor re-draws before an item failing the length check is
            dropped.
    """

    specs: list[MCQTaskSpec]
    seed: int = 0
    rewrite_hook: Callable[[str, dict], str] | None = None
    max_resample: int = 10
    stats: dict = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._spec = {s.task: s for s in self.specs}

    # ------------------------------------------------------------------ filtering
    def filter(self, annotations: Iterable[dict]) -> dict[str, list[dict]]:
        """Clip-length, answer-validity, one-QA-per-video and duplicate filters."""
        kept: dict[str, list[dict]] = OrderedDict((t, []) for t in self._spec)
        dropped: Counter = Counter()
        seen_video: set = set()
        seen_qa: set = set()
        for ann in annotations:
            task = ann['task']
            if task not in self._spec:
                dropped['unknown_task'] += 1
                continue
            spec = self._spec[task]
            dur = ann.get('duration')
            if dur is not None and not spec.min_duration <= dur <= spec.max_duration:
                dropped['clip_length'] += 1
                continue
            pool = ann.get('distractors') or spec.label_space or []
            if ann.get('distractors') is None and ann['answer'] not in (spec.label_space or []):
                dropped['answer_not_in_label_space'] += 1
                continue
            if len(set(pool) - {ann['answer']}) < spec.num_options - 1:
                dropped['too_few_distractors'] += 1
                continue
            key_qa = (task, json.dumps(ann.get('fields', {}), sort_keys=True), ann['answer'],
                      ann['video'])
            if key_qa in seen_qa:
                dropped['duplicate'] += 1
                continue
            if (task, ann['video']) in seen_video:
                dropped['video_reused'] += 1
                continue
            seen_qa.add(key_qa)
            seen_video.add((task, ann['video']))
            kept[task].append(ann)
        self.stats['dropped'] = dict(dropped)
        return kept

    # ------------------------------------------------------------------ options
    def _distractors(self, spec: MCQTaskSpec, ann: dict, rng: np.random.Generator
                     ) -> list[str] | None:
        """Distractors passing the option-length check (``None`` after ``max_resample``)."""
        pool = [c for c in dict.fromkeys(ann.get('distractors') or spec.label_space)
                if c != ann['answer']]
        for _ in range(self.max_resample):
            picks = rng.choice(len(pool), spec.num_options - 1, replace=False)
            distractors = [pool[i] for i in picks]
            lens = [len(o) for o in distractors + [ann['answer']]]
            if max(lens) <= spec.max_len_ratio * max(1, min(lens)):
                rng.shuffle(distractors)
                return distractors
        return None

    def generate(self, annotations: Iterable[dict]) -> dict[str, list[dict]]:
        """MVBench items per task: ``{task: [{video, question, candidates, answer, ...}]}``.

        Answer positions are assigned after all filters, so letters stay balanced."""
        kept = self.filter(annotations)
        out: dict[str, list[dict]] = OrderedDict()
        dropped_len = 0
        for task, anns in kept.items():
            spec = self._spec[task]
            drafts = []
            for ann in anns:
                r = np.random.default_rng(_seed(self.seed, task, ann['video'], ann['answer']))
                distractors = self._distractors(spec, ann, r)
                if distractors is None:
                    dropped_len += 1
                    continue
                tmpl = spec.templates[int(r.integers(len(spec.templates)))]
                question = tmpl.format(**ann.get('fields', {}))
                if self.rewrite_hook is not None:
                    question = self.rewrite_hook(question, ann)
                drafts.append((ann, question, distractors))
            rng = np.random.default_rng(_seed(self.seed, task, 'positions'))
            positions = balanced_positions(len(drafts), spec.num_options, rng)
            items = []
            for (ann, question, dis), pos in zip(drafts, positions):
                options = dis[:pos] + [ann['answer']] + dis[pos:]
                item = dict(video=ann['video'], question=question, candidates=options,
                            answer=ann['answer'])
                for key in ('start', 'end'):
                    if key in ann:
                        item[key] = ann[key]
                items.append(item)
            out[task] = items
        self.stats.setdefault('dropped', {})['option_length'] = dropped_len
        self.stats['kept'] = {t: len(v) for t, v in out.items()}
        return out


def write_mvbench_jsons(items: dict[str, list[dict]], data_root: str, ann_dir: str = 'json'
                        ) -> list[str]:
    """Write ``data_root/json/<task file>`` for each task (the official format)."""
    os.makedirs(osp.join(data_root, ann_dir), exist_ok=True)
    paths = []
    for task, task_items in items.items():
        path = osp.join(data_root, ann_dir, get_task(task).json_file)
        with open(path, 'w', encoding='utf-8') as f:
            json.dump(task_items, f, indent=1)
        paths.append(path)
    return paths
