"""Static-to-dynamic MCQ generator: balance, distractors, filtering, determinism."""
import json
from collections import Counter

import numpy as np
import pytest

from mmvideofm.datasets.synthetic import COLORS, SyntheticWorld, WorldConfig
from projects.mvbench.dataset import load_task_json
from projects.mvbench.generation import (
    MCQGenerator,
    MCQTaskSpec,
    balanced_positions,
    write_mvbench_jsons,
)
from projects.mvbench.generation.synthetic import (
    ADAPTERS,
    TASK_SPECS,
    make_annotations,
    object_shuffle_world,
)

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
                'Object Existence', 'State Change', 'Moving Attribute', 'Scene Transition',
                'Object Shuffle'}
    assert required <= set(ADAPTERS) and set(ADAPTERS) == set(TASK_SPECS)


def _cell(box, size):  # 3 x 3 grid cell of a box centre, written out independently
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    row = 'top' if cy < size / 3 else 'bottom' if cy >= 2 * size / 3 else 'middle'
    col = 'left' if cx < size / 3 else 'right' if cx >= 2 * size / 3 else 'middle'
    return row, col


PHRASE = {('top', 'left'): 'At the top left', ('top', 'middle'): 'At the top',
          ('top', 'right'): 'At the top right', ('middle', 'left'): 'On the left',
          ('middle', 'middle'): 'In the center', ('middle', 'right'): 'On the right',
          ('bottom', 'left'): 'At the bottom left', ('bottom', 'middle'): 'At the bottom',
          ('bottom', 'right'): 'At the bottom right'}


def _has_colour(frame, name, tol=40):
    return bool(((np.abs(frame.astype(int) - COLORS[name]).max(-1)) < tol).any())


def test_object_shuffle_answers_match_ground_truth_and_need_time():
    world = SyntheticWorld(WorldConfig(num_frames=16, size=32), seed=0, split='test')
    pairs = make_annotations(world, 'Object Shuffle', 6)
    shapes = set()
    for frames, ann in pairs:
        shape, colour = ann['fields']['shape'], ann['fields']['colour']
        clip = object_shuffle_world(world, shape).sample(ann['clip_index'])
        np.testing.assert_array_equal(frames, clip.frames)
        T, size = len(frames), frames.shape[1]
        assert {o.shape for o in clip.objects} == {shape}  # only colour tells them apart
        (target,) = [o for o in clip.objects if o.colors[0] == colour and o.visible[0]]
        finals = [o for o in clip.objects if o.visible[-1]]
        # the answer is where the target ends; the distractors where the others end
        assert ann['answer'] == PHRASE[_cell(target.boxes[-1], size)]
        assert sorted(ann['distractors']) == sorted(
            PHRASE[_cell(o.boxes[-1], size)] for o in finals if o is not target)
        assert len(set(ann['distractors']) | {ann['answer']}) == len(finals) >= 3
        # no single frame shows both the target's identity and where it ends up
        for t in range(T):
            if any(o.colors[t] == colour and o.visible[t] for o in clip.objects):
                assert target.colors[t] == colour
                assert _cell(target.boxes[t], size) != _cell(target.boxes[-1], size)
        assert not _has_colour(frames[T // 2], colour) and not _has_colour(frames[-1], colour)
        assert _has_colour(frames[0], colour)  # ... but the first frame names it
        assert target.direction != 'static'
        assert sum(o.direction != 'static' for o in finals) >= 2  # not "the mover"
        shapes.add(shape)
    assert len(shapes) >= 2
    items = MCQGenerator([TASK_SPECS['Object Shuffle']]).generate(
        [a for _, a in pairs])['Object Shuffle']
    for it, (_, ann) in zip(items, pairs):
        assert it['answer'] == ann['answer'] and len(it['candidates']) == 3
        assert set(it['candidates']) <= set(ann['distractors']) | {ann['answer']}
        assert ann['fields']['colour'] in it['question']
