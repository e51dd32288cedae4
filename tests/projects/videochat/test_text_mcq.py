"""VideoChat-Text on multiple-choice questions: the prompt (official VideoChat-Text text +
MVBench question block + prefill), option re-shuffling, the trainable chat LLM (loss only on
the answer; a tiny one learns two rows), the MVBench answerer on cached perception text, and
the synthetic oracle perception of the tiny-MVBench items (the experiment's)."""
import json
import random
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config

from mmvideofm.registry import MODELS
from projects.videochat.text import VideoDescription, build_prompt
from projects.videochat.text_mcq import (
    BuildVideoChatTextMCQ,
    VideoChatTextMCQDataset,
    VideoChatTextMVBenchAnswerer,
    description_key,
    mcq_prompt,
    mcq_target,
)

CONFIG = 'configs/videochat/videochat-text-tiny_mcq_synthetic.py'
DESC = dict(tags=['red circle'], second=['a red circle', 'a blue circle'],
            dense=[[0, 'a red circle at (3, 4)']], general='the red circle turns blue',
            action='', speech='')
ROW = dict(description=DESC, question='What colour is the circle at the end?',
           candidates=['Red', 'Blue', 'Green'], answer='Blue', task='State Change')


def tiny_lm(**llm):
    cfg = Config.fromfile(CONFIG).model
    cfg.llm.model.update(llm)
    return MODELS.build(cfg)


def test_prompt_is_the_official_text_with_the_question_block_and_prefill():
    prompt = mcq_prompt(DESC, ROW['question'], ROW['candidates'])
    desc = VideoDescription(**{**DESC, 'dense': [(0, 'a red circle at (3, 4)')]})
    block = ('Question: What colour is the circle at the end?\nOptions:\n(A) Red\n(B) Blue\n'
             '(C) Green\nOnly give the best option.')
    assert prompt == build_prompt(desc, block) + 'AI: Best option:('
    assert 'Second 2:a blue circle.' in prompt and 'New input: Question:' in prompt
    assert mcq_target(ROW['candidates'], 'Blue') == 'B) Blue'


def test_options_are_reshuffled_and_the_target_follows():
    random.seed(0)
    build = BuildVideoChatTextMCQ(shuffle=True)
    letters = set()
    for _ in range(30):
        out = build(dict(ROW))
        target = out['data_samples'].target
        letter = target[0]
        assert f'({letter}) Blue' in out['inputs'] and target == f'{letter}) Blue'
        letters.add(letter)
    assert letters == {'A', 'B', 'C'}
    fixed = BuildVideoChatTextMCQ(shuffle=False)(dict(ROW))
    assert fixed['data_samples'].target == 'B) Blue'


def test_dataset_rejects_an_answer_outside_the_candidates(tmp_path):
    path = tmp_path / 'rows.json'
    path.write_text(json.dumps([ROW, dict(ROW, answer='Pink')]))
    with pytest.raises(ValueError, match='row 1: answer .Pink. is not among'):
        VideoChatTextMCQDataset(str(path))


def test_loss_covers_only_the_answer_and_a_tiny_lm_learns_two_rows():
    torch.manual_seed(0)
    model = tiny_lm()
    prompts = [mcq_prompt(DESC, ROW['question'], ROW['candidates']),
               mcq_prompt(DESC, 'Which colour is the circle first?', ROW['candidates'])]
    targets = ['B) Blue', 'A) Red']
    batch = model._batch(prompts, targets)
    n_answer = [len(model.llm.tokenize(t)) + 1 for t in targets]  # + EOS
    assert (batch['labels'] != -100).sum(1).tolist() == n_answer
    samples = [SimpleNamespace(target=t) for t in targets]
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    first = None
    for _ in range(60):
        loss = model(prompts, samples, mode='loss')['loss']
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05 * first
    model.eval()
    assert [model.complete(p) for p in prompts] == targets


def test_mvbench_answerer_reads_the_cached_perception(tmp_path):
    torch.manual_seed(0)
    model = tiny_lm()
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'lm.pth')
    (tmp_path / 'desc.json').write_text(json.dumps({description_key('State Change',
                                                                    'sc_00001.mp4'): DESC}))
    answerer = VideoChatTextMVBenchAnswerer(Config.fromfile(CONFIG).model,
                                            str(tmp_path / 'desc.json'),
                                            str(tmp_path / 'lm.pth'), max_new_tokens=3)
    meta = dict(task='State Change', video='sc_00001.mp4', question=ROW['question'],
                candidates=ROW['candidates'])
    expected = model.eval().complete(mcq_prompt(DESC, ROW['question'], ROW['candidates']),
                                     max_new_tokens=3)
    assert answerer.generate(torch.zeros(16, 3, 8, 8), SimpleNamespace(meta=meta)) == expected
    with pytest.raises(KeyError, match='State Change/sc_00002.mp4'):
        answerer.generate(None, SimpleNamespace(meta=dict(meta, video='sc_00002.mp4')))


def test_oracle_perception_of_the_tiny_mvbench_items(tmp_path):
    """The experiment regenerates the exported items with the ground truth of every frame
    (stitched Scene Transition clips included); the single-frame text shows one moment."""
    from projects.mvbench.generation import export_tiny_mvbench
    from projects.mvbench.tasks import get_task
    from tools.experiments.videochat_synthetic import oracle_items
    tasks = ['Scene Transition', 'State Change']
    export_tiny_mvbench(str(tmp_path), num_per_task=2, seed=3, tasks=tasks)
    items = [i for i in oracle_items(3, 2) if i['task'] in tasks]
    for item in items:
        exported = {i['video']: i for i in json.loads((
            tmp_path / 'json' / get_task(item['task']).json_file).read_text())}
        assert exported[item['video']]['candidates'] == item['candidates']
        desc, single = item['description'], item['description_single']
        assert len(desc['second']) == 8 and len(set(single['second'])) == 1
        assert single['general'] == single['second'][0]
    st = [i for i in items if i['task'] == 'Scene Transition']
    assert st
    for item in st:  # 'From <scene a> to <scene b>': the first caption is scene a's
        a = item['answer'][len('From '):].split(' to ')[0]
        desc = item['description']
        assert ', then ' in desc['general'] and desc['second'][0] != desc['second'][-1]
        assert all(o.split(' ', 1)[1] in desc['second'][0] for o in a.split(' and ')), desc
