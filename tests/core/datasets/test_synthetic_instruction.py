"""The synthetic world's instruction-data exporter and its shipped SentencePiece tokenizer."""
import filecmp
import json
import os.path as osp
import re

import pytest
import sentencepiece as spm
from mmengine.registry import init_default_scope
from transformers import AutoTokenizer, LlamaTokenizer

from mmvideofm.datasets.instruction import INSTRUCTION_META_KEYS, InstructionDataset
from mmvideofm.datasets.synthetic import TASKS, SyntheticWorld, WorldConfig
from mmvideofm.datasets.synthetic.instruction import (
    SYNTHETIC_TOKENIZER_DIR,
    answer_phrase,
    export_instruction_data,
    tokenizer_corpus,
    train_synthetic_tokenizer,
)
from mmvideofm.models.llm.conversation import MVBENCH_PROMPT, get_conversation_template
from mmvideofm.models.text import SentencePieceTokenizer

SHIPPED = osp.join(SYNTHETIC_TOKENIZER_DIR, 'tokenizer.model')


@pytest.fixture(scope='module')
def export(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('instruction'))
    meta = export_instruction_data(out, num_train=4, num_val=2, tasks=['direction', 'count'],
                                   config=WorldConfig(num_frames=8, size=16), image_every=2,
                                   progress=False)
    return out, meta


def load(out, name):
    with open(osp.join(out, name)) as f:
        return json.load(f)


def test_export_writes_every_kind_in_the_official_format(export):
    out, meta = export
    assert meta['rows'] == {'caption_train': 8, 'caption_image_train': 4, 'it_caption_train': 8,
                            'it_qa_train': 8, 'it_mcq_train': 8, 'it_image_train': 4,
                            'caption_val': 4, 'caption_image_val': 2, 'it_caption_val': 4,
                            'it_qa_val': 4, 'it_mcq_val': 4, 'it_image_val': 2}
    gt = load(out, 'videos/direction/train.json')['clips']
    caps = load(out, 'caption_train.json')
    assert caps[0] == dict(video='videos/direction/train/000000.mp4', caption=gt[0]['caption'])
    assert osp.isfile(osp.join(out, caps[0]['video']))
    qa = load(out, 'it_qa_train.json')[0]['QA']  # every task whose label the clip defines
    defined = [t for t in TASKS if gt[0]['labels'][t] >= 0]
    assert [turn['q'] for turn in qa] == [TASKS[t].description for t in defined]
    assert qa[0]['a'].lower() == answer_phrase('direction', gt[0]['labels']['direction']) + '.'
    image = load(out, 'it_image_train.json')[0]
    assert image['image'].endswith('.png') and osp.isfile(osp.join(out, image['image']))
    assert load(out, 'caption_image_train.json')[0]['image'] == image['image']


def test_mcq_rows_follow_mvbench(export):
    out, _ = export
    for split in ('train', 'val'):
        gts = {t: load(out, f'videos/{t}/{split}.json')['clips'] for t in ('direction', 'count')}
        for k, row in enumerate(load(out, f'it_mcq_{split}.json')):
            task, idx = ('direction', k) if k < len(gts['direction']) else \
                ('count', k - len(gts['direction']))
            (turn,) = row['QA']
            assert turn['i'] == MVBENCH_PROMPT.system.strip()
            assert turn['q'].startswith(f'Question: {TASKS[task].description}\nOptions:\n(A) ')
            assert turn['q'].endswith('\nOnly give the best option.')
            options = re.findall(r'^\(([A-D])\) (.*)$', turn['q'], flags=re.M)
            assert len(options) == 4
            letter, answer = re.fullmatch(r'Best option:\(([A-D])\) (.*)', turn['a']).groups()
            assert dict(options)[letter] == answer == answer_phrase(
                task, gts[task][idx]['labels'][task])
            # the evaluation prefill 'Best option:(' is continued by 'X) answer'
            assert turn['a'].startswith(MVBENCH_PROMPT.answer_prompt)


def test_exported_rows_load_as_instruction_samples(export):
    out, _ = export
    init_default_scope('mmvideofm')
    pipeline = [dict(type='VideoInit'), dict(type='InstructionSampleFrames', num_frames=4),
                dict(type='VideoDecode'), dict(type='mmaction.FormatShape', input_format='NCTHW'),
                dict(type='BuildConversation'),
                dict(type='mmaction.PackActionInputs', meta_keys=INSTRUCTION_META_KEYS)]
    for name, shape in [('it_mcq_train.json', (1, 3, 4, 16, 16)),
                        ('it_image_train.json', (1, 3, 1, 16, 16))]:
        ds = InstructionDataset(ann_file=osp.join(out, name), data_prefix=dict(video=out),
                                pipeline=pipeline)
        sample = ds[0]
        assert tuple(sample['inputs'].shape) == shape
        if shape[2] == 1:  # the PNG holds the clip's first frame, read back as RGB
            frame = SyntheticWorld(WorldConfig(num_frames=8, size=16), seed=0,
                                   split='train').sample(0, 'direction').frames[0]
            assert (sample['inputs'][0, :, 0].permute(1, 2, 0).numpy() == frame).all()
        text = sample['data_samples'].metainfo['conversation']
        assert text.endswith(' ###') and ('frames sampled at' in text) == (shape[2] == 4)


def test_shipped_tokenizer_loads_everywhere_and_covers_the_data(export):
    out, _ = export
    hf = LlamaTokenizer.from_pretrained(SYNTHETIC_TOKENIZER_DIR)
    core = SentencePieceTokenizer(model_file=SHIPPED, add_eos=False)
    sp = spm.SentencePieceProcessor(model_file=SHIPPED)
    assert (hf.unk_token_id, hf.bos_token_id, hf.eos_token_id) == (0, 1, 2)
    assert core.vocab_size == len(hf) == 1000 and osp.getsize(SHIPPED) < 500_000
    vicuna = get_conversation_template('vicuna_v0')
    for row in load(out, 'it_mcq_train.json')[:2] + load(out, 'it_qa_train.json')[:2]:
        text, _ = vicuna.training_conversation(row['QA'], ' The video contains 4 frames '
                                               'sampled at 0.0, 0.6, 1.2, 1.9 seconds. ')
        ids = sp.encode(text)
        assert hf(text, add_special_tokens=False).input_ids == ids
        assert core([text], max_length=len(ids) + 1)['input_ids'][0].tolist() == [1, *ids]
        assert 0 not in ids and len(ids) < len(text) / 2.5  # no unknowns, word-level pieces
        # the label rule's token arithmetic holds on this tokenizer
        after = vicuna.split_for_training(text)[1]
        assert sum(vicuna.supervised_mask(after, sp.encode)) > 0
    assert hf('###', add_special_tokens=False).input_ids == [sp.piece_to_id('\u2581###')]
    auto = AutoTokenizer.from_pretrained(SYNTHETIC_TOKENIZER_DIR)  # tokenizer_config.json
    assert auto('a red circle').input_ids == hf('a red circle').input_ids == [1, *sp.encode(
        'a red circle')]  # BOS added, as LLaMA's tokenizer does
    assert hf.decode(sp.encode(text)) == text


def test_tokenizer_rebuilds_deterministically(tmp_path):
    corpus = tokenizer_corpus()
    path = train_synthetic_tokenizer(str(tmp_path / 'a'), corpus=corpus)
    assert filecmp.cmp(path, SHIPPED, shallow=False), \
        'the shipped tokenizer is stale: run tools/data/train_synthetic_tokenizer.py'
    small = corpus[::7]
    first = train_synthetic_tokenizer(str(tmp_path / 'b'), vocab_size=400, corpus=small)
    second = train_synthetic_tokenizer(str(tmp_path / 'c'), vocab_size=400, corpus=small)
    assert filecmp.cmp(first, second, shallow=False)


def test_questions_and_phrases_restyle_the_rows():
    import numpy as np

    from mmvideofm.datasets.synthetic.instruction import clip_instruction_rows
    rec = dict(caption='a red circle moves left', labels=dict(direction=2, count=0),
               objects=[], events=[])
    style = dict(questions=dict(direction=['Which way does it go?']),
                 phrases=dict(direction=dict(left='To the left')))
    rows = clip_instruction_rows(rec, 'direction', 'v.mp4', np.random.default_rng(0), **style)
    (mcq,) = rows['it_mcq']['QA']
    assert mcq['q'].startswith('Question: Which way does it go?\nOptions:')
    assert mcq['a'].endswith(') To the left') and '(A) ' in mcq['q']
    qa = rows['it_qa']['QA']
    assert qa[0]['q'] == 'Which way does it go?' and qa[0]['a'] == 'To the left.'
    assert qa[1]['q'] == TASKS['count'].description  # not restyled: the task's description
    plain = clip_instruction_rows(rec, 'direction', 'v.mp4', np.random.default_rng(0))
    assert plain['it_mcq']['QA'][0]['a'].endswith(') left')


def test_bad_tasks_are_named(tmp_path):
    with pytest.raises(KeyError, match=r"unknown synthetic tasks \['colour'\]"):
        export_instruction_data(str(tmp_path), tasks=['colour'])


def test_make_synthetic_instruction_format(tmp_path):
    from tools.data.make_synthetic import main
    meta = main(['--format', 'instruction', '--out', str(tmp_path), '--num-train', '1',
                 '--num-val', '0', '--num-test', '0', '--frames', '8', '--size', '16',
                 '--no-progress'])
    assert meta['format'] == 'instruction' and meta['tasks'] == list(TASKS)
    assert len(load(str(tmp_path), 'it_mcq_train.json')) == len(TASKS)  # one clip per task
