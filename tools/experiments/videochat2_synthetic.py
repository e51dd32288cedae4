"""Tiny VideoChat2 through its three stages on the synthetic world, then the tiny MVBench
with all 16 frames and with the middle frame repeated.

    .venv/bin/python tools/experiments/videochat2_synthetic.py [--work-dir DIR] [--seed S]
        [--num-clips N] [--num-mvbench-train N] [--num-per-task N]
        [--stage1-epochs N] [--stage2-epochs N] [--stage3-epochs N]

Steps (each a config trained by mmengine's Runner, as ``tools/train.py`` would):

0. data: the synthetic instruction export (``make_synthetic.py --format instruction``:
   captions, open QA, multiple choice), MVBench-style questions of the tiny MVBench
   generator on *other* clips (seed + 1) as instruction rows in the evaluation's words
   (:func:`mvbench_rows`; the stage-3 config writes them in the evaluation layout and
   re-shuffles their options per load), and the tiny MVBench (seed 0);
1. ``videochat2-tiny_stage1_synthetic-4x32.py`` (VTC + VTM + VTG);
2. ``videochat2-tiny_stage2_synthetic-8x32.py`` from (1) (captioning through the LLM);
3. ``videochat2-tiny_stage3_synthetic-8x32.py`` from (1) then (2), as upstream (instruction
   tuning, LoRA);
4. ``tools/mvbench/evaluate.py`` with the stage-3 weights: all frames and single frame.

Prints the per-task table and writes ``<work-dir>/results.json``.
"""
from __future__ import annotations

import json
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from tools.experiments.common import (  # noqa: E402
    config_path,
    make_parser,
    report,
    run_config,
    set_threads,
)

STAGES = ['videochat2/videochat2-tiny_stage1_synthetic-4x32.py',
          'videochat2/videochat2-tiny_stage2_synthetic-8x32.py',
          'videochat2/videochat2-tiny_stage3_synthetic-8x32.py']
MVBENCH = 'videochat2/videochat2-tiny_mvbench_16x32_tiny-synthetic.py'
SINGLE = 'videochat2/videochat2-tiny_mvbench_16x32_tiny-synthetic_single-frame.py'


def mvbench_rows(root: str, rel: str) -> list[dict]:
    """A tiny MVBench (official layout under ``root``) as stage-3 instruction rows in the
    evaluation's words: ``i`` = the system text, ``q`` = the system text + the options block
    + ``Only give the best option.``, ``a`` = ``'Best option:(X) answer'`` (with the stage-3
    config's ``vicuna_v0_eval`` template the conversation is the evaluation prompt up to
    ``Best option:(``); bound tasks keep their window. Video paths are relative to the
    instruction data root (``rel`` = ``root`` relative to it)."""
    from mmvideofm.models.llm.conversation import MVBENCH_PROMPT as P
    from projects.mvbench.tasks import TASKS
    rows = []
    for task in TASKS:
        path = osp.join(root, 'json', task.json_file)
        if not osp.isfile(path):
            continue
        with open(path) as f:
            items = json.load(f)
        for item in items:
            row = dict(video=osp.join(rel, 'video', task.folder(), item['video']), QA=[dict(
                i=P.system.strip(),
                q=(P.system if P.system_llm else '') + P.question(item['question'],
                                                                  item['candidates']),
                a=P.training_answer(item['candidates'], item['answer']))])
            if task.bound and 'start' in item:
                row.update(start=float(item['start']), end=float(item['end']))
            rows.append(row)
    return rows


def make_data(args, data: str) -> dict:
    """Export the training data and the tiny MVBench (skipped when already there)."""
    from mmvideofm.datasets.synthetic.instruction import export_instruction_data
    from projects.mvbench.generation import export_tiny_mvbench
    inst, train_mvb, test_mvb = (osp.join(data, d) for d in ('instruction', 'mvbench_train',
                                                            'mvbench_test'))
    if not osp.isfile(osp.join(inst, 'meta.json')):
        export_instruction_data(inst, num_train=args.num_clips, num_val=0, seed=args.seed,
                                image_every=0, progress=False)
    if not osp.isdir(osp.join(train_mvb, 'json')):
        export_tiny_mvbench(train_mvb, num_per_task=args.num_mvbench_train,
                            seed=args.seed + 1, size=32, num_frames=16)
    with open(osp.join(inst, 'mvbench_mcq_train.json'), 'w') as f:
        json.dump(mvbench_rows(train_mvb, osp.relpath(train_mvb, inst)), f)
    if not osp.isdir(osp.join(test_mvb, 'json')):
        export_tiny_mvbench(test_mvb, num_per_task=args.num_per_task, seed=0, size=32,
                            num_frames=16)
    return dict(instruction=inst, mvbench_test=test_mvb)


def evaluate(config: str, checkpoint: str, key: str, data_root: str, work_dir: str) -> dict:
    """``tools/mvbench/evaluate.py`` on the tiny MVBench; the leaderboard row."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'mvbench_evaluate', osp.join(osp.dirname(__file__), '..', 'mvbench', 'evaluate.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.main([config_path(config), '--work-dir', work_dir, '--no-progress', '--cfg-options',
               f'{key}={checkpoint}', f'test_dataloader.dataset.data_root={data_root}'])
    with open(osp.join(work_dir, 'leaderboard.json')) as f:
        return json.load(f)


def main(argv=None) -> dict:
    parser = make_parser(__doc__, 'work_dirs/videochat2_synthetic')
    parser.add_argument('--num-clips', type=int, default=40,
                        help='clips per synthetic task (instruction export)')
    parser.add_argument('--num-mvbench-train', type=int, default=40,
                        help='MVBench-style training questions per task')
    parser.add_argument('--num-per-task', type=int, default=20,
                        help='tiny MVBench test questions per task')
    for i in (1, 2, 3):
        parser.add_argument(f'--stage{i}-epochs', type=int, help=f'stage-{i} epochs')
    args = parser.parse_args(argv)
    set_threads(args.threads)
    work = osp.abspath(args.work_dir)
    data = make_data(args, osp.join(work, 'data'))
    result, ckpt, ckpts = dict(args=vars(args), stages={}), None, []
    for i, config in enumerate(STAGES, 1):
        options = {'data_root': data['instruction'], 'load_from': ckpt}
        if i == 3:  # as upstream: stage-1 weights (Q-Former text parts), then stage 2's
            options['model.init_cfg'] = dict(type='Pretrained', checkpoint=ckpts[0])
        epochs = getattr(args, f'stage{i}_epochs')
        if epochs:
            options.update({'train_cfg.max_epochs': epochs,
                            'default_hooks.checkpoint.interval': epochs,
                            'param_scheduler.0.T_max': epochs, 'param_scheduler.0.end': epochs})
        run = run_config(config_path(config), osp.join(work, f'stage{i}'), options, args.seed)
        ckpt = run['checkpoint']
        ckpts.append(ckpt)
        result['stages'][f'stage{i}'] = run
    boards = {}
    for name, config, key in (('all frames', MVBENCH, 'model.answerer.checkpoint'),
                              ('single frame', SINGLE, 'model.answerer.model.checkpoint')):
        boards[name] = evaluate(config, ckpt, key, data['mvbench_test'],
                                osp.join(work, 'mvbench_' + name.replace(' ', '_')))
    result['mvbench'] = boards
    tasks = [t for t in boards['all frames'] if t != 'Avg']
    rows = [[name] + [float(board.get(t, float('nan'))) for t in tasks + ['Avg']]
            for name, board in boards.items()]
    report('Tiny VideoChat2 on the tiny MVBench (accuracy %, official rule)',
           ['input'] + tasks + ['Avg'], rows, result, osp.join(work, 'results.json'))
    return result


if __name__ == '__main__':
    main()
