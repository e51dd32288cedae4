"""VideoChat2 through the MVBench harness: the notebook prompt byte for byte, the answerer on
the official generation fixture (weights converted on load), and tools/mvbench/evaluate.py
with sharding and resume on a tiny random VideoChat2."""
import importlib.util
import json
import os.path as osp

import pytest
import torch

import projects.mvbench  # noqa: F401  (the harness; the plugin itself never imports it)
import projects.videochat2  # noqa: F401
from mmvideofm.registry import MODELS

from .fixtures import IT_CASES, load, manifest

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CASE = IT_CASES[2]  # vc2_eval_f4to16_s32_q8e8_mvbench
QUESTION = 'What happens after the man opens the door?'
CANDIDATES = ['open the door', 'close the window', 'sit on the chair', 'take the book']


def _sample():
    return dict(qid='q0', task='Action Sequence', index=0, video='v.mp4', question=QUESTION,
                candidates=CANDIDATES, answer_string='(A) open the door', answer_letter='A',
                num_options=4)


def test_notebook_protocol_byte_for_byte(tmp_path):
    from projects.mvbench.prompts import build_template
    facts = manifest()[CASE]['facts']
    prompt = build_template(dict(style='vicuna')).build(QUESTION, CANDIDATES)
    assert prompt.text == facts['gen_prompt']
    assert prompt.qformer_instruction == facts['gen_qformer_instruction']
    from .fixtures import it_cfg
    official = tmp_path / 'videochat2_7b_stage3.pth'
    torch.save({'model': load(CASE, 'state_dict')}, official)  # official keys, converted on load
    answerer = dict(type='VideoChat2MVBenchAnswerer', model=it_cfg(CASE),
                    checkpoint=str(official), max_new_tokens=24)
    qa = MODELS.build(dict(type='MVBenchQA', answerer=answerer, template=dict(style='vicuna')))
    # the fixture's stop ids are this tokenizer's ids of LLaMA's stop pieces
    model = qa.answerer.model
    ids = model.generate_ids(load(CASE, 'io')['gen_video'][0].permute(1, 0, 2, 3), prompt.text,
                             prompt.qformer_instruction, stop=facts['stop_words_ids'],
                             max_new_tokens=24)
    assert ids == load(CASE, 'io')['gen.generate_output'][0].tolist()
    rec = qa.answer(load(CASE, 'io')['gen_video'][0], _sample())
    assert rec['status'] == 'ok' and rec['raw'].startswith(facts['gen_answer_text'])
    assert rec['pred'] == '(' + facts['gen_answer_text'].split('\n')[0]


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    from projects.mvbench.generation import export_tiny_mvbench
    root = str(tmp_path_factory.mktemp('vc2_mvb'))
    export_tiny_mvbench(root, num_per_task=2, seed=0)
    return root


def test_evaluate_tool_shards_and_resumes(tiny, tmp_path):
    spec = importlib.util.spec_from_file_location(
        'mvbench_evaluate_tool', osp.join(REPO, 'tools', 'mvbench', 'evaluate.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    config = osp.join(REPO, 'configs', 'videochat2',
                      'videochat2-tiny_mvbench_16x32_tiny-synthetic.py')
    work = str(tmp_path / 'work')
    opts = ['--no-progress', '--work-dir', work, '--cfg-options',
            f'test_dataloader.dataset.data_root={tiny}', 'model.answerer.max_new_tokens=4']
    for rank in (0, 1):  # two independent shards, then merged
        assert tool.main([config, '--rank', str(rank), '--world-size', '2'] + opts) == 0
    assert tool.main([config, '--merge-only', '--world-size', '2'] + opts) == 0
    with open(osp.join(work, 'leaderboard.json')) as f:
        board = json.load(f)
    preds = [json.loads(line) for r in (0, 1)
             for line in open(osp.join(work, 'predictions', f'rank{r}.jsonl'))]
    assert len(preds) == 20 and 'Avg' in board
    before = open(osp.join(work, 'predictions', 'rank0.jsonl')).read()
    assert tool.main([config, '--rank', '0', '--world-size', '2'] + opts) == 0  # resumes
    assert open(osp.join(work, 'predictions', 'rank0.jsonl')).read() == before
