"""Static-to-dynamic MCQ generator: balance, distractors, filtering, determinism."""
import json
from collections import Counter

import numpy as np
import pytest

from projects.mvbench.dataset import load_task_json
from projects.mvbench.generation import (
    MCQGenerator,
    MCQTaskSpec,
    balanced_positions,
    write_mvbench_jsons,
)
from projects.mvbench.generation.synthetic import ADAPTERS, TASK_SPECS

LABELS = ['Upward', 'Downward', 'Leftward', 'Rightward', 'Up and left', 'Not moving']


def _anns(n, task='Moving Direction', seed=0):
    rng = np.random.default_rng(seed)
    return [dict(task=task, video=f'v{i}.mp4', answer=LABELS[int(rng.integers(len(LABELS)))],
                 duration=float(rng.uniform(1, 10))) for i in range(n)]


def _spec(**kw):
    return MCQTaskSpec(**{**dict(task='Moving Direction', templates=['Where does it go?'],
                                 label_space=LABELS, num_options=4), **kw})


def test_balanced_positions_distribution():
    rng = np.random.default_rng(0)
    for k in (3, 4, 5):
        pos = balanced_positions(103, k, rng)
        counts = Counter(pos)
        assert set(counts) == set(range(k))
        assert max(counts.values()) - min(counts.values()) <= 1
        assert pos[:k] != list(range(k)) or pos[k:2 * k] != list(range(k))  # shuffled


def test_generated_answer_letters_are_balanced():
    items = MCQGenerator([_spec()], seed=3).generate(_anns(200))['Moving Direction']
    letters = Counter(it['candidates'].index(it['answer']) for it in items)
    assert len(items) == 200 and sorted(letters) == [0, 1, 2, 3]
    assert max(letters.values()) - min(letters.values()) <= 1
    for it in items:  # answer among 4 distinct options drawn from the label space
        assert len(it['candidates']) == len(set(it['candidates'])) == 4
        assert it['answer'] in it['candidates'] and set(it['candidates']) <= set(LABELS)


def test_deterministic_and_seeded():
    a = MCQGenerator([_spec()], seed=1).generate(_anns(30))
    b = MCQGenerator([_spec()], seed=1).generate(_anns(30))
    c = MCQGenerator([_spec()], seed=2).generate(_anns(30))
    assert a == b and a != c


def test_filters():
    anns = _anns(10)
    anns.append(dict(anns[0]))  # exact duplicate
    anns.append(dict(anns[1], answer=next(x for x in LABELS if x != anns[1]['answer'])))  # video reused
    anns.append(dict(task='Moving Direction', video='long.mp4', answer='Upward', duration=99.0))
    anns.append(dict(task='Moving Direction', video='odd.mp4', answer='Sideways'))
    anns.append(dict(task='Action Count', video='x.mp4', answer='1'))  # no spec
    gen = MCQGenerator([_spec(min_duration=0.5, max_duration=30)])
    items = gen.generate(anns)['Moving Direction']
    assert len(items) == 10
    assert gen.stats['dropped'] == dict(duplicate=1, video_reused=1, clip_length=1,
                                        answer_not_in_label_space=1, unknown_task=1,
                                        option_length=0)


def test_option_length_sanity_and_supplied_distractors():
    spec = _spec(label_space=None, num_options=3, max_len_ratio=2.0)
    ok = dict(task='Moving Direction', video='a.mp4', answer='red ball',
              distractors=['blue ball', 'green cube', 'a very very long distractor text'])
    bad = dict(task='Moving Direction', video='b.mp4', answer='up',
               distractors=['a much longer option', 'another long option'])
    gen = MCQGenerator([spec])
    items = gen.generate([ok, bad])['Moving Direction']
    assert [it['video'] for it in items] == ['a.mp4']
    assert set(items[0]['candidates']) == {'red ball', 'blue ball', 'green cube'}
    assert gen.stats['dropped']['option_length'] == 1


def test_rewrite_hook_and_json_output(tmp_path):
    seen = []

    def hook(q, ann):
        seen.append(ann['video'])
        return q.replace('it', 'the object')
    anns = _anns(5)
    anns[0].update(start=1.0, end=2.5)
    items = MCQGenerator([_spec()], rewrite_hook=hook).generate(anns)
    assert seen == [f'v{i}.mp4' for i in range(5)]
    assert items['Moving Direction'][0]['question'] == 'Where does the object go?'
    (path,) = write_mvbench_jsons(items, str(tmp_path))
    assert path.endswith('json/moving_direction.json')
    loaded = load_task_json(path, bound=False)
    assert loaded == json.loads(json.dumps(items['Moving Direction']))
    assert loaded[0]['start'] == 1.0 and 'start' not in loaded[1]


def test_spec_validation():
    with pytest.raises(KeyError, match='unknown MVBench task'):
        _spec(task='Not A Task')
    with pytest.raises(ValueError, match='fewer than num_options'):
        _spec(label_space=['a', 'b'])


def test_synthetic_adapters_cover_the_issue_list():
    required = {'Moving Direction', 'Action Count', 'Moving Count', 'Action Sequence',
                'Object Existence', 'State Change', 'Moving Attribute', 'Scene Transition'}
    assert required <= set(ADAPTERS) and set(ADAPTERS) == set(TASK_SPECS)
