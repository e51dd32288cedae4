"""MVBench over the official on-disk layout, and its evaluation transforms.

Layout (HF ``OpenGVLab/MVBench``)::

    data_root/
      json/<task>.json          # [{video, question, candidates, answer[, start, end]}, ...]
      video/<task folder>/...   # mp4 / webm / avi files, or JPEG frame folders (TVQA)

``layout='main'`` is the official protocol (raw videos, ``start``/``end`` applied when
sampling). ``layout='video_branch'`` reads the pre-cut ``video`` branch (bounds already
applied, Episodic Reasoning as mp4); its results are labelled as such.
"""
import json
import os
import os.path as osp
import warnings
from collections import OrderedDict

import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmengine.structures import BaseDataElement

from mmvideofm.datasets.video_io import VideoReadError, open_video
from mmvideofm.registry import DATASETS, TRANSFORMS

from .prompts import option_letter, qa_template
from .sampling import frames_in_range, get_index, reader_params
from .tasks import LAYOUTS, TASKS, MVBenchTask, get_task

__all__ = [
    'MVBenchDataset', 'MVBenchLoadFrames', 'MVBenchFormatFrames', 'PackMVBenchInputs',
    'load_task_json', 'CLIP_MEAN', 'CLIP_STD',
]

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def load_task_json(path: str, bound: bool, on_invalid: str = 'error') -> list[dict]:
    """Load and validate one task JSON. Errors name the file and the item index.

    ``on_invalid='warn'`` keeps items whose answer is not among the candidates (the
    official code then scores them against the letter ``'@'``); other defects always raise.
    """
    try:
        with open(path, encoding='utf-8') as f:
            items = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'{path}: not valid JSON ({e})') from e
    if not isinstance(items, list):
        raise ValueError(f'{path}: expected a list of items, got {type(items).__name__}')
    for i, item in enumerate(items):
        where = f'{path}: item {i}'
        if not isinstance(item, dict):
            raise ValueError(f'{where}: expected an object, got {type(item).__name__}')
        for key in ('video', 'question', 'candidates', 'answer'):
            if key not in item:
                raise ValueError(f'{where}: missing key {key!r}')
        if not isinstance(item['video'], str) or not item['video']:
            raise ValueError(f'{where}: "video" must be a non-empty string')
        if not isinstance(item['question'], str):
            raise ValueError(f'{where}: "question" must be a string')
        cands = item['candidates']
        if (not isinstance(cands, list) or len(cands) < 2
                or not all(isinstance(c, str) for c in cands)):
            raise ValueError(f'{where}: "candidates" must be a list of >= 2 strings')
        if len(cands) > 26:
            raise ValueError(f'{where}: more than 26 candidates')
        if not isinstance(item['answer'], str) or item['answer'] == '':
            # the official check_ans raises IndexError on an empty answer text
            raise ValueError(f'{where}: "answer" must be a non-empty string')
        if item['answer'] not in cands:
            msg = f'{where}: answer {item["answer"]!r} is not among the candidates {cands}'
            if on_invalid == 'error':
                raise ValueError(msg)
            warnings.warn(msg + " (kept; scored against option '(@)' as the notebook does)",
                          stacklevel=2)
        if bound:
            for key in ('start', 'end'):
                if not isinstance(item.get(key), (int, float)) or isinstance(item[key], bool):
                    raise ValueError(f'{where}: bound task needs a numeric {key!r}')
    return items


@DATASETS.register_module()
class MVBenchDataset(BaseDataset):
    """The 20-task MVBench (or a subset) as one flat test set.

    Args:
        data_root: folder with ``json/`` and ``video/``.
        tasks: task names / abbreviations / JSON stems; ``None`` = all 20.
        layout: ``'main'`` (official protocol) or ``'video_branch'`` (pre-cut, labelled).
        ann_dir, video_dir: sub-folders of ``data_root``.
        missing_video: ``'skip'`` (exclude and count per task) or ``'error'``.
        on_invalid: ``'error'`` or ``'warn'`` for answers not among the candidates.
        max_per_task: keep the first N questions per task (smoke tests).
        skip_missing_tasks: tolerate absent task JSONs (reported in ``missing_tasks``).
        revision: free-text dataset revision recorded in the results (e.g. the HF commit,
            ``'post-2024-06 QA replacement'``); results move ~0.5 points between them.
    """

    def __init__(self, data_root: str, tasks: list[str] | None = None, layout: str = 'main',
                 ann_dir: str = 'json', video_dir: str = 'video', missing_video: str = 'skip',
                 on_invalid: str = 'error', max_per_task: int | None = None,
                 skip_missing_tasks: bool = False, revision: str | None = None,
                 pipeline: list | None = None,
                 test_mode: bool = True, **kwargs) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f'layout must be one of {LAYOUTS}, got {layout!r}')
        if missing_video not in ('skip', 'error'):
            raise ValueError("missing_video must be 'skip' or 'error'")
        if on_invalid not in ('error', 'warn'):
            raise ValueError("on_invalid must be 'error' or 'warn'")
        self.tasks: list[MVBenchTask] = ([get_task(t) for t in tasks] if tasks
                                         else list(TASKS))
        self.layout = layout
        self.ann_dir = ann_dir
        self.video_dir = video_dir
        self.missing_video = missing_video
        self.on_invalid = on_invalid
        self.max_per_task = max_per_task
        self.skip_missing_tasks = skip_missing_tasks
        self.revision = revision
        self.missing: dict[str, list[str]] = OrderedDict()
        self.missing_tasks: list[str] = []
        self.totals: dict[str, int] = OrderedDict()
        pipeline = pipeline if pipeline is not None else [
            dict(type='MVBenchLoadFrames'), dict(type='MVBenchFormatFrames'),
            dict(type='PackMVBenchInputs')]
        # build from our registry so the dataset works with or without default_scope
        pipeline = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        super().__init__(data_root=data_root, pipeline=pipeline, test_mode=test_mode,
                         serialize_data=False, **kwargs)

    # ---------------------------------------------------------------- annotations
    def load_data_list(self) -> list[dict]:
        data_list = []
        for task in self.tasks:
            json_path = osp.join(self.data_root, self.ann_dir, task.json_file)
            if not osp.isfile(json_path):
                if self.skip_missing_tasks:
                    self.missing_tasks.append(task.name)
                    continue
                raise FileNotFoundError(f'MVBench task JSON not found: {json_path}')
            bound = task.bound_for(self.layout)
            items = load_task_json(json_path, bound, self.on_invalid)
            if self.max_per_task is not None:
                items = items[:self.max_per_task]
            self.totals[task.name] = len(items)
            self.missing[task.name] = []
            prefix = osp.join(self.data_root, self.video_dir, task.folder(self.layout))
            for i, item in enumerate(items):
                video_path = osp.join(prefix, item['video'])
                if not osp.exists(video_path):
                    if self.missing_video == 'error':
                        raise FileNotFoundError(f'{json_path}: item {i}: video not found: '
                                                f'{video_path}')
                    self.missing[task.name].append(item['video'])
                    continue
                block, answer_string = qa_template(item['question'], item['candidates'],
                                                   item['answer'])
                cands = item['candidates']
                letter_idx = max((j for j, c in enumerate(cands) if c == item['answer']),
                                 default=-1)
                data_list.append(dict(
                    qid=f'{task.json_file[:-5]}/{i}', task=task.name, task_abbr=task.abbr,
                    index=i, video=item['video'], video_path=video_path,
                    reader=task.reader_for(self.layout),
                    bound=(float(item['start']), float(item['end'])) if bound else None,
                    question=item['question'], candidates=list(cands), answer=item['answer'],
                    answer_string=answer_string, answer_letter=option_letter(letter_idx),
                    num_options=len(cands), question_block=block, layout=self.layout))
        return data_list

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        super().full_init()
        self._metainfo.update(
            layout=self.layout,
            layout_label=('official (raw videos, bounds at sampling)' if self.layout == 'main'
                          else "pre-cut 'video' branch (NOT the official protocol)"),
            tasks=[t.name for t in self.tasks if t.name not in self.missing_tasks],
            totals=dict(self.totals),
            missing_videos={k: len(v) for k, v in self.missing.items()},
            missing_tasks=list(self.missing_tasks),
            revision=self.revision)

    def missing_report(self) -> str:
        """A per-task line for every task with missing videos."""
        lines = [f'{task}: {len(v)}/{self.totals[task]} videos missing (excluded)'
                 for task, v in self.missing.items() if v]
        lines += [f'{t}: task JSON missing (excluded)' for t in self.missing_tasks]
        return '\n'.join(lines)

    def prepare_data(self, idx: int) -> dict:
        info = self.get_data_info(idx)
        try:
            return self.pipeline(info)
        except VideoReadError as e:  # unreadable video: reported, excluded, counted
            return dict(inputs=None,
                        data_samples=BaseDataElement(metainfo=_meta(info, video_error=str(e))))


def _meta(info: dict, **extra) -> dict:
    keys = ('qid', 'task', 'task_abbr', 'index', 'video', 'reader', 'bound', 'question',
            'candidates', 'answer', 'answer_string', 'answer_letter', 'num_options', 'layout',
            'frame_inds', 'sample_idx')
    out = {k: info[k] for k in keys if k in info}
    out.update(extra)
    return out


@TRANSFORMS.register_module()
class MVBenchLoadFrames:
    """Open the video, compute the official indices, decode ``(T, H, W, 3)`` uint8 frames.

    Frame folders follow the official TVQA reader: fps 3, ``max_frame`` = file count,
    1-based ``%05d.jpg`` names.
    """

    def __init__(self, num_segments: int = 16, backend: str = 'auto') -> None:
        self.num_segments = num_segments
        self.backend = backend

    def __call__(self, results: dict) -> dict:
        path, reader_type = results['video_path'], results['reader']
        with open_video(path, backend='frames' if reader_type == 'frame' else self.backend
                        ) as reader:
            n = len(reader)
            params = reader_params(reader_type, n, reader.fps)
            inds = get_index(results.get('bound'), num_segments=self.num_segments, **params)
            if not frames_in_range(inds, reader_type, n):
                raise VideoReadError(path, f'official frame indices {inds} fall outside the '
                                     f'video ({n} frames; bound {results.get("bound")})')
            if reader_type == 'frame':
                pos = {name: p for p, name in enumerate(reader.files)}
                names = [f'{i:05d}.jpg' for i in inds]
                if any(nm not in pos for nm in names):
                    raise VideoReadError(path, 'frame folder does not follow the official '
                                         "1-based '%05d.jpg' naming")
                frames = reader.get_frames([pos[nm] for nm in names])
            else:
                frames = reader.get_frames(inds)
        results['imgs'] = frames  # (T, H, W, 3) uint8 RGB
        results['frame_inds'] = list(inds)
        return results


@TRANSFORMS.register_module()
class MVBenchFormatFrames:
    """Official eval preprocessing: short side -> ``resolution`` (PIL bicubic), center
    crop, scale to [0, 1], CLIP mean/std. Output ``(T, 3, res, res)`` float32."""

    def __init__(self, resolution: int = 224, mean=CLIP_MEAN, std=CLIP_STD,
                 interpolation: str = 'bicubic') -> None:
        self.resolution = resolution
        self.mean = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
        self.interpolation = interpolation

    def __call__(self, results: dict) -> dict:
        import torchvision.transforms.functional as TF
        from PIL import Image
        from torchvision.transforms import InterpolationMode
        mode = InterpolationMode(self.interpolation)
        out = []
        for frame in results['imgs']:
            img = TF.resize(Image.fromarray(frame), self.resolution, interpolation=mode)
            img = TF.center_crop(img, self.resolution)
            out.append(np.asarray(img, dtype=np.uint8))
        x = torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float().div(255)  # (T,3,H,W)
        results['inputs'] = (x - self.mean) / self.std
        return results


@TRANSFORMS.register_module()
class PackMVBenchInputs:
    """``dict(inputs=(T, 3, H, W) tensor, data_samples=BaseDataElement(metainfo=<item>))``.

    The item metadata rides in a data element (not a plain dict) so that collation keeps
    one sample per item."""

    def __call__(self, results: dict) -> dict:
        inputs = results.get('inputs')
        if inputs is None and 'imgs' in results:
            inputs = torch.from_numpy(np.ascontiguousarray(results['imgs']))
        return dict(inputs=inputs, data_samples=BaseDataElement(metainfo=_meta(results)))


def list_task_files(data_root: str, ann_dir: str = 'json') -> list[str]:
    """JSON files present under ``data_root/ann_dir`` (for diagnostics)."""
    d = osp.join(data_root, ann_dir)
    return sorted(f for f in os.listdir(d) if f.endswith('.json')) if osp.isdir(d) else []
