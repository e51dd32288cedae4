"""Tiny VideoChat-Embed and VideoChat-Text on the synthetic world, then the tiny MVBench
(seed 0) with all frames and with the middle frame only, next to chance (1 / options).

    .venv/bin/python tools/experiments/videochat_synthetic.py [--work-dir DIR] [--seed S]
        [--num-clips N] [--num-mvbench-train N] [--num-per-task N] [--num-text-train N]
        [--stage1-epochs N] [--stage2-epochs N] [--text-epochs N] [--only embed|text]

Steps (each a config trained by mmengine's Runner, as ``tools/train.py`` would):

0. data: the same export as ``videochat2_synthetic.py`` (synthetic instruction data,
   MVBench-style training questions on other clips, the tiny MVBench with seed 0);
1. VideoChat-Embed: ``videochat-tiny_stage1_synthetic-4x56.py`` (caption conversations), then
   ``videochat-tiny_stage2_synthetic-16x56.py`` from (1) (MVBench-style questions in the
   evaluation's words at 16 frames, options re-shuffled at every load);
2. VideoChat-Text: the perception text of every item from the synthetic ground truth
   (``SyntheticOracleStep`` on the clip each item was cut from), text-only MCQ rows of the
   tiny-MVBench generator on other clips (seed + 1) in the official VideoChat-Text prompt,
   ``videochat-text-tiny_mcq_synthetic.py`` (the chat LLM);
3. ``tools/mvbench/evaluate.py`` for both, all frames and single frame (Embed: the middle
   frame repeated; Text: the oracle's description of the middle frame only).

Prints the per-task table and writes ``<work-dir>/results.json`` (merged with an earlier one,
so ``--only`` runs add up).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os.path as osp
import sys
from dataclasses import asdict, replace

import numpy as np

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from tools.experiments.common import (  # noqa: E402
    config_path,
    make_parser,
    report,
    run_config,
    set_threads,
)
from tools.experiments.videochat2_synthetic import make_data  # noqa: E402

STAGES = ['videochat/videochat-tiny_stage1_synthetic-4x56.py',
          'videochat/videochat-tiny_stage2_synthetic-16x56.py']
MVBENCH = 'videochat/videochat-tiny_mvbench_16x56_tiny-synthetic.py'
MVBENCH_SINGLE = 'videochat/videochat-tiny_mvbench_16x56_tiny-synthetic_single-frame.py'
TEXT = 'videochat/videochat-text-tiny_mcq_synthetic.py'
TEXT_MVBENCH = 'videochat/videochat-text-tiny_mvbench_tiny-synthetic.py'
EMBED, TEXT_ROW = 'VideoChat-Embed (tiny)', 'VideoChat-Text (tiny, oracle perception)'
FPS = 8.0  # the tiny MVBench export's


def chance(root: str) -> dict:
    """Expected accuracy (%) of a uniform guess per task of a tiny MVBench."""
    from projects.mvbench.tasks import TASKS
    board, means = {}, []
    for task in TASKS:
        path = osp.join(root, 'json', task.json_file)
        if osp.isfile(path):
            with open(path) as f:
                items = json.load(f)
            board[task.name] = 100 * sum(1 / len(i['candidates']) for i in items) / len(items)
            means.append(board[task.name])
    board['Avg'] = sum(means) / len(means)
    return board


def epoch_options(epochs: int | None) -> dict:
    """cfg-options that shorten (or lengthen) a run to ``epochs``; ``{}`` for the config's."""
    keys = ('train_cfg.max_epochs', 'default_hooks.checkpoint.interval',
            'param_scheduler.0.T_max', 'param_scheduler.0.end')
    return dict.fromkeys(keys, epochs) if epochs else {}


# ------------------------------------------------------------------ oracle perception
def _frame_key(frame: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(frame).tobytes(), digest_size=16).digest()


@contextlib.contextmanager
def ground_truth_index():
    """While active, every clip the synthetic world renders is indexed by its frames:
    ``{(frame hash, t): clip without pixels}`` (the tiny-MVBench adapters return frames only;
    this finds the ground truth of each frame, also of stitched or re-drawn clips)."""
    from unittest import mock

    from mmvideofm.datasets.synthetic import SyntheticWorld
    index, sample = {}, SyntheticWorld.sample

    def indexed(self, i, task=None):
        clip = sample(self, i, task)
        truth = replace(clip, frames=None)
        for t, frame in enumerate(clip.frames):
            index[_frame_key(frame), t] = truth
        return clip
    with mock.patch.object(SyntheticWorld, 'sample', indexed):
        yield index


def oracle_clip(frames: np.ndarray, index: dict, single: int | None = None):
    """The ground truth of ``frames`` as one ``Clip`` (objects of every source clip, visible
    where their clip shows; captions joined by ', then '). ``single``: all frames become
    frame ``single`` (the single-frame ablation)."""
    from mmvideofm.datasets.synthetic.structures import Clip
    T = len(frames)
    src = [index[_frame_key(f), t] for t, f in enumerate(frames)]
    times = [single] * T if single is not None else list(range(T))
    sources = list({id(c): c for c in src}.values())
    objects = []
    for clip in sources:
        shown = np.array([src[t] is clip for t in times])
        for o in clip.objects:
            objects.append(replace(o, id=len(objects), colors=[o.colors[t] for t in times],
                                   boxes=o.boxes[times], visible=o.visible[times] & shown))
    caption = ', then '.join(c.caption for c in sources if any(src[t] is c for t in times))
    return Clip(frames=frames[times], objects=objects, events=[], labels=dict(sources[0].labels),
                caption=caption, meta={})


def oracle_description(clip, single: bool = False) -> dict:
    """``SyntheticOracleStep`` on the clip at the tiny MVBench's fps (VideoChat-Text's ~1 fps
    frames); a single frame has no motion caption: its frame text is the general one."""
    from projects.videochat.text import SyntheticOracleStep, VideoDescription, VideoText
    desc = VideoDescription()
    SyntheticOracleStep()(VideoText(clip.frames, FPS, meta=dict(clip=clip)), desc)
    if single:
        desc.general = desc.second[0]
    return asdict(desc)


def oracle_items(seed: int, num_per_task: int) -> list[dict]:
    """The tiny-MVBench items of ``seed`` (as ``export_tiny_mvbench`` makes them, no videos
    written), each with ``description`` / ``description_single`` (oracle perception)."""
    from mmvideofm.datasets.synthetic import SyntheticWorld, WorldConfig
    from projects.mvbench.generation.mcq import MCQGenerator
    from projects.mvbench.generation.synthetic import ADAPTERS, TASK_SPECS, make_annotations
    world = SyntheticWorld(WorldConfig(num_frames=16, size=32, fps=FPS), seed=seed,
                           split='test')
    annotations, descs = [], {}
    with ground_truth_index() as index:
        for task in ADAPTERS:
            for frames, ann in make_annotations(world, task, num_per_task):
                annotations.append(ann)
                descs[task, ann['video']] = (
                    oracle_description(oracle_clip(frames, index)),
                    oracle_description(oracle_clip(frames, index, len(frames) // 2), True))
    items = MCQGenerator([TASK_SPECS[t] for t in ADAPTERS], seed=seed).generate(annotations)
    return [dict(item, task=task, description=descs[task, item['video']][0],
                 description_single=descs[task, item['video']][1])
            for task, task_items in items.items() for item in task_items]


def text_data(args, data: str, test_root: str) -> dict:
    """VideoChat-Text rows: training MCQs (seed + 1) and the test set's perception text
    (``<test_root>/oracle_descriptions{,_single-frame}.json``, checked against its JSON)."""
    from projects.mvbench.tasks import get_task
    from projects.videochat.text_mcq import description_key
    train = osp.join(data, 'text_mcq_train.json')
    if not osp.isfile(train):
        rows = oracle_items(args.seed + 1, args.num_text_train)
        with open(train, 'w') as f:
            json.dump([{k: v for k, v in r.items() if k != 'description_single'}
                       for r in rows], f)
    files = {name: osp.join(test_root, f'oracle_descriptions{name}.json')
             for name in ('', '_single-frame')}
    if not all(map(osp.isfile, files.values())):
        items = oracle_items(0, args.num_per_task)
        for item in items:  # the same items as the exported benchmark
            with open(osp.join(test_root, 'json', get_task(item['task']).json_file)) as f:
                exported = {i['video']: i for i in json.load(f)}
            if exported[item['video']]['candidates'] != item['candidates']:
                raise RuntimeError(f'{item["video"]}: the regenerated item differs from the '
                                   f'export in {test_root}')
        for name, field in (('', 'description'), ('_single-frame', 'description_single')):
            with open(files[name], 'w') as f:
                json.dump({description_key(i['task'], i['video']): i[field] for i in items}, f)
    return dict(train=train, descriptions=files[''], single=files['_single-frame'])


def evaluate(config: str, data_root: str, work_dir: str, options: dict) -> dict:
    """``tools/mvbench/evaluate.py`` on the tiny MVBench; the leaderboard row."""
    from tools.mvbench.evaluate import main as evaluate_main
    options = {**options, 'test_dataloader.dataset.data_root': data_root}
    evaluate_main([config_path(config), '--work-dir', work_dir, '--no-progress', '--overwrite',
                   '--cfg-options', *(f'{k}={v}' for k, v in options.items())])
    with open(osp.join(work_dir, 'leaderboard.json')) as f:
        return dict(json.load(f), answer_text=answer_text_match(work_dir))


def answer_text_match(work_dir: str) -> dict:
    """Diagnostic, not the official score: % of generations whose option *text* (after
    ``X) ``) is the right answer's text, whatever the letter, per task and Avg."""
    per: dict[str, list[bool]] = {}
    with open(osp.join(work_dir, 'predictions.jsonl')) as f:
        for rec in map(json.loads, f):
            text = (rec.get('raw') or '').split('\n')[0].split('###')[0]
            said = text.split(')', 1)[-1].strip()
            per.setdefault(rec['task'], []).append(said == rec['answer_string'].split(') ', 1)[-1])
    board = {task: 100 * sum(v) / len(v) for task, v in per.items()}
    board['Avg'] = 100 * sum(map(sum, per.values())) / sum(map(len, per.values()))
    return board


def run_embed(args, work: str, data: dict) -> tuple[dict, dict]:
    """VideoChat-Embed's two stages, then the tiny MVBench (all frames, single frame)."""
    stages, ckpt = {}, None
    for stage, config in zip(('stage1', 'stage2'), STAGES):
        run = run_config(config_path(config), osp.join(work, stage),
                         {'data_root': data['instruction'], 'load_from': ckpt,
                          **epoch_options(getattr(args, f'{stage}_epochs'))}, args.seed)
        stages[stage], ckpt = run, run['checkpoint']
    boards = {}
    for name, config, key in (('', MVBENCH, 'model.answerer.checkpoint'),
                              (', single frame', MVBENCH_SINGLE,
                               'model.answerer.model.checkpoint')):
        boards[EMBED + name] = evaluate(config, data['mvbench_test'], osp.join(
            work, 'mvbench_videochat' + name.replace(', single frame', '_single')), {key: ckpt})
    return stages, boards


def run_text(args, work: str, data: dict) -> tuple[dict, dict]:
    """VideoChat-Text's chat LLM on text MCQ rows, then the tiny MVBench."""
    files = text_data(args, osp.join(work, 'data'), data['mvbench_test'])
    run = run_config(config_path(TEXT), osp.join(work, 'text'),
                     {'train_dataloader.dataset.ann_file': files['train'],
                      **epoch_options(args.text_epochs)}, args.seed)
    boards = {}
    for name, desc in (('', files['descriptions']), (', single frame', files['single'])):
        boards[TEXT_ROW + name] = evaluate(
            TEXT_MVBENCH, data['mvbench_test'],
            osp.join(work, 'mvbench_text' + name.replace(', single frame', '_single')),
            {'model.answerer.checkpoint': run['checkpoint'],
             'model.answerer.descriptions': desc})
    return dict(text=run), boards


def main(argv=None) -> dict:
    parser = make_parser(__doc__, 'work_dirs/videochat_synthetic')
    for flag, default, text in (
            ('--num-clips', 40, 'clips per synthetic task (instruction export)'),
            ('--num-mvbench-train', 40, 'MVBench-style training questions per task'),
            ('--num-per-task', 20, 'tiny MVBench test questions per task'),
            ('--num-text-train', 100, 'VideoChat-Text training questions per task'),
            ('--stage1-epochs', None, 'stage-1 epochs'),
            ('--stage2-epochs', None, 'stage-2 epochs'),
            ('--text-epochs', None, 'VideoChat-Text LLM epochs')):
        parser.add_argument(flag, type=int, default=default, help=text)
    parser.add_argument('--only', choices=('embed', 'text'), help='run one variant')
    args = parser.parse_args(argv)
    set_threads(args.threads)
    work = osp.abspath(args.work_dir)
    out = osp.join(work, 'results.json')
    result = dict(args={}, stages={}, mvbench={})
    if osp.isfile(out):
        with open(out) as f:
            result.update(json.load(f))
    data = make_data(args, osp.join(work, 'data'))
    for name, run in (('embed', run_embed), ('text', run_text)):
        if args.only in (None, name):
            stages, boards = run(args, work, data)
            result['args'][name] = vars(args)
            result['stages'].update(stages)
            result['mvbench'].update(boards)
    result['mvbench']['chance (1 / options)'] = chance(data['mvbench_test'])
    boards = result['mvbench']
    tasks = [t for t in boards['chance (1 / options)'] if t != 'Avg']
    rows = [[name] + [float(board.get(t, float('nan'))) for t in tasks + ['Avg']]
            for name, board in boards.items()]
    rows += [[f'{name} [answer text, diagnostic]'] + [float(board['answer_text'][t])
                                                      for t in tasks + ['Avg']]
             for name, board in boards.items() if 'answer_text' in board]
    report('Tiny VideoChat on the tiny MVBench (accuracy %, official rule)',
           ['answerer'] + tasks + ['Avg'], rows, result, out)
    return result


if __name__ == '__main__':
    main()
