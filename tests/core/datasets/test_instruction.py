"""Instruction / caption datasets in the official VideoChat2 annotation format."""
import json
import os.path as osp
import random

import mmcv
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmvideofm.datasets.instruction import (
    INSTRUCTION_META_KEYS,
    CaptionDataset,
    InstructionDataset,
    official_frame_indices,
    shuffle_mcq_options,
)
from mmvideofm.datasets.video_io import VideoReadError, write_video
from mmvideofm.engine.hooks import SeededAugmentationSampler
from mmvideofm.models.llm.conversation import get_conversation_template

from .conftest import make_frames


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvideofm')


QA = [dict(i='Watch the video and answer the question.', q=f'Q{k}?', a=f'A{k}.') for k in range(4)]


def pipeline(num_frames=4, sample='rand', template='vicuna_v0', conversation=True):
    steps = [dict(type='VideoInit'),
             dict(type='InstructionSampleFrames', num_frames=num_frames, sample=sample),
             dict(type='VideoDecode'),
             dict(type='mmaction.Resize', scale=(16, 16), keep_ratio=False),
             dict(type='mmaction.FormatShape', input_format='NCTHW')]
    if conversation:
        steps.append(dict(type='BuildConversation', template=template))
    return steps + [dict(type='mmaction.PackActionInputs', meta_keys=INSTRUCTION_META_KEYS)]


@pytest.fixture
def root(tmp_path):
    write_video(str(tmp_path / 'a.mp4'), make_frames(t=20), fps=10)
    mmcv.imwrite(make_frames(t=1)[0], str(tmp_path / 'b.png'))
    rows = [dict(video='a.mp4', QA=QA),
            dict(image='b.png', QA=[dict(i='', q='What is it?', a='A square.')]),
            dict(video='a.mp4', QA=[dict(q='', a='A caption.')], start=0.5, end=1.5)]
    (tmp_path / 'it.json').write_text(json.dumps(rows))
    return tmp_path


def build(root, **kwargs):
    kwargs.setdefault('pipeline', pipeline())
    return InstructionDataset(ann_file=str(root / 'it.json'), data_prefix=dict(video=str(root)),
                              **kwargs)


def test_samples_carry_the_official_conversation(root):
    ds = build(root, pipeline=pipeline(sample='middle'))
    video, image, window = (ds[k] for k in range(3))
    meta = video['data_samples'].metainfo
    assert video['inputs'].shape == (1, 3, 4, 16, 16)
    # 'middle' of 4 segments of 20 frames at 10 fps -> 2, 7, 12, 17 -> 0.2, 0.7, 1.2, 1.7 s
    assert meta['frame_secs'] == ['0.2', '0.7', '1.2', '1.7']
    assert meta['conversation'].startswith(
        f"{meta['qa'][0]['i']} ###Human: <Video></Video> The video contains 4 frames sampled "
        'at 0.2, 0.7, 1.2, 1.7 seconds. ###Human: ')
    assert meta['instruction'] == f"{meta['qa'][0]['i']} {meta['qa'][0]['q']}"
    assert sorted(t['q'] for t in meta['qa']) == [t['q'] for t in QA]
    # an image is a T=1 clip with the <Image> tokens and no frame-time message
    assert image['inputs'].shape == (1, 3, 1, 16, 16)
    assert image['data_samples'].metainfo['conversation'] == \
        '###Human: <Image></Image> ###Human: What is it? ###Assistant: A square. ###'
    # start/end: 10 frames from frame 5; segments [0,2) [2,5) [5,7) [7,10) (int edges), middle
    # (a + b - 1) // 2 -> 0, 3, 5, 8 -> frames 5, 8, 10, 13
    w = window['data_samples'].metainfo
    assert w['frame_secs'] == ['0.5', '0.8', '1.0', '1.3'] and w['instruction'] == ''
    template = get_conversation_template('vicuna_v0')
    assert template.split_for_training(w['conversation'])[1].startswith('</Video> The video')


def test_qa_order_is_shuffled_per_epoch_reproducibly(root):
    ds = build(root)

    def orders(epoch, seed=0):
        sampler = SeededAugmentationSampler(dict(type='DefaultSampler', shuffle=False), ds,
                                            seed=seed)
        sampler.set_epoch(epoch)
        first = next(iter(sampler))  # carries the seed of (run seed, rank, epoch, position)
        return tuple(t['q'] for t in ds[first]['data_samples'].metainfo['qa'])

    per_epoch = [orders(e) for e in range(4)]
    assert per_epoch == [orders(e) for e in range(4)]  # a rerun draws the same orders
    assert len(set(per_epoch)) > 1  # and they change between epochs
    fixed = build(root, pipeline=[*pipeline()[:-2], dict(type='BuildConversation',
                                                           random_shuffle=False),
                                  pipeline()[-1]])
    assert [t['q'] for t in fixed[0]['data_samples'].metainfo['qa']] == [t['q'] for t in QA]


def test_shuffle_mcq_options_reletters_the_answer():
    # not upstream (BuildConversation shuffle_options=True): options re-ordered per load,
    # the answer keeps its text and takes its new letter; letters come out uniform
    turn = dict(i='S', q='S\nQuestion: Q?\nOptions:\n(A) Up\n(B) To the left\n(C) Down\n'
                'Only give the best option.', a='Best option:(B) To the left')
    rng, seen = random.Random(0), []
    for _ in range(300):
        new = shuffle_mcq_options(turn, rng)
        letter = new['a'][len('Best option:(')]
        assert f'({letter}) To the left\n' in new['q'] and new['a'].endswith(') To the left')
        assert {x[4:] for x in new['q'].split('\n')[3:6]} == {'Up', 'To the left', 'Down'}
        seen.append(letter)
    assert all(80 < seen.count(c) < 120 for c in 'ABC')
    for plain in (dict(q='Q?', a='A.'), dict(q='(A) x', a='(A) x'),  # no MCQ, one option
                  dict(q=turn['q'], a='Best option:(D) Up')):  # answer letter not an option
        assert shuffle_mcq_options(plain, rng) == plain


def test_build_conversation_shuffles_options_when_asked(root):
    rows = [dict(video='a.mp4', QA=[dict(i='S', q='Q?\n(A) x\n(B) y', a='(B) y')])]
    (root / 'mcq.json').write_text(json.dumps(rows))

    def answers(shuffle):
        steps = [*pipeline()[:-2], dict(type='BuildConversation', shuffle_options=shuffle),
                 pipeline()[-1]]
        ds = InstructionDataset(ann_file=str(root / 'mcq.json'), pipeline=steps,
                                data_prefix=dict(video=str(root)))
        return {ds[0]['data_samples'].metainfo['qa'][0]['a'] for _ in range(20)}
    assert answers(False) == {'(B) y'}  # official: fixed
    assert answers(True) == {'(A) y', '(B) y'}


def test_mistral_template_and_caption_dataset(root):
    ds = build(root, pipeline=pipeline(template='mistral_inst'))
    assert ds[1]['data_samples'].metainfo['conversation'] == \
        '[INST] <Image></Image> [/INST] [INST] What is it? [/INST] A square. </s>'
    rows = [dict(video='a.mp4', caption='a red square moves right'),
            dict(image='b.png', caption='a red square')]
    (root / 'cap.json').write_text(json.dumps(rows))
    cap = CaptionDataset(ann_file=str(root / 'cap.json'), data_prefix=dict(video=str(root)),
                         pipeline=[*pipeline(conversation=False)[:-1],
                                   dict(type='mmaction.PackActionInputs',
                                        meta_keys=('caption', 'text', 'video_idx',
                                                   'media_type'))])
    meta = cap[1]['data_samples'].metainfo
    assert (meta['caption'], meta['text'], meta['video_idx'], meta['media_type']) == \
        ('a red square', 'a red square', 1, 'image')
    assert cap[0]['inputs'].shape == (1, 3, 4, 16, 16)


@pytest.mark.parametrize('row, match', [
    (dict(video='a.mp4'), "row 0: needs a non-empty 'QA' list"),
    (dict(video='a.mp4', caption='x'), 'use CaptionDataset'),
    (dict(video='a.mp4', image='b.png', QA=QA), "exactly one of 'video' or 'image'"),
    (dict(video='b.png', QA=QA), "looks like an image but is given as 'video'"),
    (dict(image='a.mp4', QA=QA), "looks like an video but is given as 'image'"),
    (dict(video='a.mp4', QA=[dict(q='x')]), "QA 0 needs string 'q' and 'a'"),
    (dict(video='a.mp4', QA=QA, start=1.0), "'start' and 'end' go together"),
    (dict(video='a.mp4', QA=QA, start=2.0, end=1.0), '0 <= start < end'),
    (dict(image='b.png', QA=QA, start=0, end=1), "an image row cannot have 'start'/'end'"),
])
def test_bad_rows_name_the_file_and_row(root, row, match):
    (root / 'bad.json').write_text(json.dumps([row]))
    with pytest.raises(ValueError, match=match) as err:
        InstructionDataset(ann_file=str(root / 'bad.json'))
    assert 'bad.json: row 0' in str(err.value)


def test_bad_files_and_media_type(root):
    with pytest.raises(FileNotFoundError, match='instruction annotation file .* does not exist'):
        InstructionDataset(ann_file=str(root / 'missing.json'))
    (root / 'broken.json').write_text('[{"video": ')
    with pytest.raises(ValueError, match='broken.json: not valid JSON'):
        InstructionDataset(ann_file=str(root / 'broken.json'))
    with pytest.raises(ValueError, match=r"row 1: has 'image' but this dataset reads videos"):
        build(root, media_type='video')
    (root / 'gone.json').write_text(json.dumps([dict(video='gone.mp4', QA=QA)]))
    ds = InstructionDataset(ann_file=str(root / 'gone.json'), pipeline=pipeline(),
                            data_prefix=dict(video=str(root)))
    with pytest.raises(VideoReadError, match='gone.mp4.*skip_bad_samples=True'):
        ds[0]


def test_unreadable_media_are_skipped_when_asked(root):
    (root / 'broken.png').write_bytes(b'not an image')
    rows = [dict(image='broken.png', QA=QA), dict(image='gone.png', QA=QA),
            dict(image='b.png', QA=QA)]
    (root / 'skip.json').write_text(json.dumps(rows))
    ds = InstructionDataset(ann_file=str(root / 'skip.json'), pipeline=pipeline(),
                            data_prefix=dict(video=str(root)), skip_bad_samples=True)
    sample = ds[0]  # the two bad images are skipped, the third row is used
    assert sample['data_samples'].metainfo['filename'].endswith('b.png')
    assert sorted(osp.basename(f) for f in ds.bad_samples) == ['broken.png', 'gone.png']
    assert 'not a readable image' in ds.bad_samples[str(root / 'broken.png')]


def test_official_corpus_entries(root):
    rows = [dict(video='a.mp4', QA=QA)]
    (root / 'vid.json').write_text(json.dumps(rows))
    ds = InstructionDataset(ann_file=[str(root / 'vid.json'), str(root), 'video'],
                            pipeline=pipeline())
    assert ds.media_type == 'video' and ds[0]['data_samples'].metainfo['filename'] == \
        osp.join(str(root), 'a.mp4')
    with pytest.raises(ValueError, match="row 0: has 'video' but this dataset reads images"):
        InstructionDataset(ann_file=[str(root / 'vid.json'), str(root)])  # upstream: images
    with pytest.raises(ValueError, match=r"\[json, media_root, 'video'\]"):
        InstructionDataset(ann_file=[str(root / 'vid.json'), str(root), 'audio'])


def test_build_conversation_names_missing_inputs():
    from mmvideofm.datasets.instruction import BuildConversation
    with pytest.raises(KeyError, match='InstructionSampleFrames before it'):
        BuildConversation()(dict(qa=QA, media_type='video'))
    with pytest.raises(KeyError, match="needs 'qa'"):
        BuildConversation()(dict(media_type='video'))
    text = BuildConversation(add_second_msg=False, random_shuffle=False)(
        dict(qa=QA[:1], media_type='video'))['conversation']
    assert text.startswith(QA[0]['i'] + ' ###Human: <Video></Video> ###Human: Q0?')


def test_official_frame_indices():
    assert official_frame_indices(4, 20, 'middle') == [2, 7, 12, 17]
    assert official_frame_indices(4, 2, 'middle') == [0, 1, 1, 1]  # short: last one repeated
    random.seed(0)
    for _ in range(20):
        inds = official_frame_indices(4, 20, 'rand')
        # each segment [a, b) of 5 frames; upstream never draws its last frame
        assert all(5 * k <= i < 5 * k + 4 for k, i in enumerate(inds))
    np.random.seed(0)  # a one-frame segment: upstream's fallback, 4 sorted distinct of 6
    inds = official_frame_indices(4, 6, 'rand')
    assert inds == sorted(set(inds)) and len(inds) == 4 and max(inds) < 6
    with pytest.raises(ValueError, match="'rand', 'middle'"):
        official_frame_indices(4, 6, 'uniform')
