"""Every case of the shared MVBench parity fixtures (official notebook) reproduced."""
import json
import os.path as osp

import pytest

from projects.mvbench import (
    SYSTEM,
    TASKS,
    answer_text,
    build_template,
    check_ans,
    get_index,
    get_index_demo,
    make_pred,
    qa_template,
    reader_params,
)
from projects.mvbench.sampling import frames_in_range

DATA = osp.join(osp.dirname(__file__), '..', '..', 'data', 'mvbench')


def _load(name):
    with open(osp.join(DATA, name)) as f:
        return json.load(f)


FRAME = _load('frame_indices.json')
CHECK = _load('check_ans.json')
PROMPTS = _load('prompts.json')
TASKS_JSON = _load('tasks.json')


@pytest.mark.parametrize('case', FRAME['cases'], ids=lambda c: c['id'])
def test_frame_indices(case):
    n = case.get('num_video_frames', case.get('num_files_in_folder'))
    params = reader_params(case['reader'], n, case['fps'])
    assert params == dict(fps=float(case['fps']), max_frame=case['max_frame'],
                          first_idx=case['first_idx'])
    inds = get_index(case['bound'], num_segments=case['num_segments'], **params)
    assert inds == case['frame_indices']
    assert frames_in_range(inds, case['reader'], n) == case['all_in_range']
    if 'frame_files' in case:
        assert [f'{i:05d}.jpg' for i in inds] == case['frame_files']


@pytest.mark.parametrize('case', FRAME['demo_load_video_get_index_NOT_used_by_mvbench_eval'],
                         ids=lambda c: c['id'])
def test_demo_index_is_the_other_formula(case):
    assert get_index_demo(case['num_frames'], case['num_segments']) == case['frame_indices']


@pytest.mark.parametrize('case', CHECK['cases'], ids=lambda c: f"{c['pred']!r}|{c['gt']!r}")
def test_check_ans(case):
    if 'raises' in case:
        assert case['raises'] == 'IndexError'
        with pytest.raises(IndexError):
            check_ans(case['pred'], case['gt'])
    else:
        assert check_ans(case['pred'], case['gt']) is case['result']


def test_prompt_constants():
    tpl = build_template()
    assert tpl.system == SYSTEM == PROMPTS['system']
    assert tpl.question_prompt == PROMPTS['question_prompt']
    assert tpl.answer_prompt == PROMPTS['answer_prompt']
    assert tpl.return_prompt == PROMPTS['return_prompt']


@pytest.mark.parametrize('case', PROMPTS['cases'], ids=lambda c: str(len(c['question_data']['candidates'])))
def test_prompts_byte_for_byte(case):
    q = case['question_data']
    block, answer_string = qa_template(q['question'], q['candidates'], q['answer'])
    assert block == case['question_block']
    assert answer_string == case['answer_string']
    prompt = build_template().build(q['question'], q['candidates'])
    assert prompt.text == case['llm_prompt']
    assert [list(s) for s in prompt.segments] == [
        [s['text'], s['add_special_tokens']] for s in case['llm_prompt_segments']]
    assert prompt.qformer_instruction == case['qformer_instruction']
    # the answer() chain, then infer_mvbench's '(' + first line, then check_ans
    pred = make_pred(answer_text(case['raw_decoded_generation']), prompt.return_prompt)
    assert pred == case['pred']
    assert check_ans(pred, answer_string) is case['check_ans']


def test_task_table():
    rows = TASKS_JSON['data_list']
    assert len(TASKS) == len(rows) == 20
    for task, row in zip(TASKS, rows):
        assert (task.name, task.json_file, task.prefix_literal, task.video_folder, task.reader,
                task.bound) == (row['task'], row['json_file'], row['prefix_literal'],
                                row['video_folder'], row['reader'], row['bound'])


@pytest.mark.parametrize('case', TASKS_JSON['routing_cases'], ids=lambda c: c['task'])
def test_routing(case, tmp_path):
    """The dataset derives the notebook's video_path / bound / reader for each item."""
    from projects.mvbench import MVBenchDataset, get_task
    task = get_task(case['task'])
    (tmp_path / 'json').mkdir()
    (tmp_path / 'json' / task.json_file).write_text(json.dumps([case['data']]))
    video_root = 'your_data_path'
    ds = MVBenchDataset(str(tmp_path), tasks=[task.name], video_dir=video_root,
                        missing_video='skip')
    # no video exists: the item is excluded and counted, routing is still derived
    assert len(ds) == 0 and ds.metainfo['missing_videos'] == {task.name: 1}
    target = tmp_path / case['video_path'].replace('pyour_data_path', video_root)
    target.parent.mkdir(parents=True, exist_ok=True)
    if case['reader'] == 'frame':
        target.mkdir()
    else:
        target.write_bytes(b'x')
    ds = MVBenchDataset(str(tmp_path), tasks=[task.name], video_dir=video_root)
    info = ds.get_data_info(0)
    assert info['video_path'] == str(tmp_path / video_root / case['video_path'][len(
        'your_data_path/'):])
    assert info['reader'] == case['reader']
    assert (list(info['bound']) if info['bound'] else None) == case['bound']


@pytest.mark.parametrize('pred,num,letter', [
    ('(B) Tidied up', 4, 'B'), ('(b)', 4, 'B'), ('(C', 4, 'C'), ('(A.', 3, 'A'),
    ('( A) x', 4, 'A'), ('(', 4, None), ('()', 4, None), ('(AB)', 4, None),
    ('(Ate the medicine.', 4, None), ('(E) None', 4, None), ('(E) None', 5, 'E'),
    ('(Best option: (A)', 4, None), (')', 4, None)])
def test_strict_first_letter_parse(pred, num, letter):
    from projects.mvbench import parse_option_strict
    assert parse_option_strict(pred, num) == letter


def test_answer_chain_helpers():
    from projects.mvbench import strip_leading_special_ids
    assert strip_leading_special_ids([0, 1, 5, 1]) == [5, 1]
    assert strip_leading_special_ids([1, 0, 5]) == [0, 5]  # <s> then <unk> is not stripped
    assert answer_text('###Assistant: B) x') == ''
    assert answer_text('Human: q Assistant: C) y###more') == 'C) y'
    assert make_pred('  A) first\nsecond') == '(A) first'


def test_template_is_one_config_away():
    q, cands = 'What now?', ['a', 'b']
    vic = build_template(dict(style='vicuna')).build(q, cands)
    inst = build_template(dict(style='mistral_inst', system='SYS ')).build(q, cands)
    assert inst.text.startswith('SYS [INST] <Video><VideoHere></Video> ')
    assert inst.text.endswith(' [/INST] Best Option:(') and '###' not in inst.text
    assert [s[1] for s in inst.segments] == [True, False]
    assert vic.text != inst.text
    custom = build_template(dict(answer_prompt=None, system_q=True)).build(q, cands)
    assert custom.text.endswith('###Assistant:')
    assert custom.qformer_instruction == SYSTEM + custom.question_block
    with pytest.raises(KeyError, match='unknown prompt template'):
        build_template(dict(style='chatml'))
