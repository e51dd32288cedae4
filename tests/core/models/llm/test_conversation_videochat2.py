"""Conversation templates reproduce the official VideoChat2 strings and label mask (fixture)."""
import json
import os.path as osp

import pytest
import sentencepiece as spm

from mmvideofm.models.llm.conversation import (
    IMAGE_CAPTION_PROMPTS,
    MVBENCH_PROMPT,
    VIDEO_CAPTION_PROMPTS,
    MultipleChoicePrompt,
    frame_seconds,
    frame_time_message,
    get_conversation_template,
)

DATA = osp.join(osp.dirname(__file__), '..', '..', '..', 'data', 'core', 'llm')
FIXTURE = json.load(open(osp.join(DATA, 'videochat2_conversations.json')))
SAMPLES = FIXTURE['samples']
SP = spm.SentencePieceProcessor(model_file=osp.join(DATA, 'llama_tokenizer', 'tokenizer.model'))
VICUNA = get_conversation_template('vicuna_v0')
MISTRAL = get_conversation_template('mistral_inst')


@pytest.mark.parametrize('sample', SAMPLES, ids=lambda s: f"{s['case']}-{s['media']}")
def test_training_conversation_and_label_mask_match_the_official(sample):
    text, instruction = VICUNA.training_conversation(sample['qa'], sample['msg'], sample['media'])
    assert text == sample['conversation'] and instruction == sample['instruction']
    before, after = VICUNA.split_for_training(text, sample['media'])
    assert (before, after) == (sample['p_before'], sample['p_after'])
    assert SP.encode(after) == sample['p_after_ids']
    assert VICUNA.supervised_mask(after, SP.encode) == sample['supervised']


def test_frame_time_message_matches_the_official():
    # fixture sample 0: 8 frames at 0.5 s steps (fps 2, indices 1, 3, ...); python round()
    assert frame_time_message(frame_seconds(range(1, 16, 2), 2.0)) == SAMPLES[0]['msg']
    assert frame_time_message(frame_seconds([0, 1, 2], 8.0)) == (
        ' The video contains 3 frames sampled at 0.0, 0.1, 0.2 seconds. ')  # round(0.125)=0.1
    with pytest.raises(ValueError, match='positive fps'):
        frame_seconds([0], 0)


def test_vicuna_mask_keeps_headers_and_the_final_separator():
    qa = [dict(i='', q='q1', a='a1'), dict(i='', q='q2', a='a2')]
    text, instruction = VICUNA.training_conversation(qa, ' The video contains 1 frames. ')
    assert instruction == ''  # no 'i': the question is not passed to the QFormer either
    after = VICUNA.split_for_training(text)[1]
    # supervised: the first '###Human:' (official quirk), '###Assistant: a ###Human:' spans and
    # the final '###' (how the model learns to stop); questions and the media turn are not
    assert _kept(VICUNA, after) == '###Human: ###Assistant: a1 ###Human: ###Assistant: a2 ###'


def _kept(template, text):
    ids = SP.encode(text)
    return SP.decode([i for i, s in zip(ids, template.supervised_mask(text, SP.encode)) if s])


def test_mistral_training_conversation_and_mask():
    qa = [dict(i='Watch it.', q='What moves?', a='The ball.'), dict(i='', q='Colour?', a='Red.')]
    text, instruction = MISTRAL.training_conversation(qa, ' The video contains 2 frames. ')
    assert text == ('Watch it. [INST] <Video></Video> The video contains 2 frames. [/INST] '
                    '[INST] What moves? [/INST] The ball. </s> [INST] Colour? [/INST] Red. </s>')
    assert instruction == 'Watch it.'  # return_question_instruction=False upstream
    after = MISTRAL.split_for_training(text)[1]
    assert _kept(MISTRAL, after) == 'The ball. </s> Red. </s>'  # only the answers
    caption = MISTRAL.training_conversation([dict(q='', a='A cat.')], '', 'image')[0]
    assert caption == '[INST] <Image></Image> [/INST] A cat. </s>'


def test_videochat_v1_keeps_empty_questions_and_ignores_instructions():
    v1 = get_conversation_template('videochat')
    text, instruction = v1.training_conversation([dict(i='Ignored.', q='', a='A dog.')], ' m. ')
    assert text == '###Human: <Video></Video> m. ###Human:  ###Assistant: A dog. ###'
    assert instruction == ''
    conv = v1.new()
    conv.add_media('video', msg=' The video contains 8 frames sampled at 0.0 seconds. ')
    conv.ask('What happens?')
    assert conv.get_prompt() == ('###Human: <Video><VideoHere></Video> The video contains 8 '
                                 'frames sampled at 0.0 seconds.\n###Human: What happens?\n'
                                 '###Assistant:')


def test_multi_turn_chat_and_image_turn():
    conv = VICUNA.new(system='S')
    conv.add_media('image').ask('Q1')
    assert conv.get_prompt() == 'S###Human: <Image><ImageHere></Image>\n###Human: Q1\n###Assistant:'
    conv.answer('A1').ask('Q2')
    text = conv.get_prompt()
    assert text.endswith('###Assistant: A1###Human: Q2\n###Assistant:')
    assert [b for _, b in conv.segments(media='image')] == [True, False]


def test_mvbench_prompt_matches_the_official_generation_prompt():
    mvb = FIXTURE['mvbench']
    assert MVBENCH_PROMPT.system == mvb['system'] == mvb['qformer_instruction']
    cands = ['open the door', 'close the window', 'sit on the chair', 'take the book']
    question = MVBENCH_PROMPT.system + MVBENCH_PROMPT.question(
        'What happens after the man opens the door?', cands)
    assert question == mvb['question']
    prompt = VICUNA.prompt(question, system=MVBENCH_PROMPT.system,
                           answer_prefill=MVBENCH_PROMPT.answer_prompt)
    assert prompt == mvb['prompt']
    assert MVBENCH_PROMPT.build(VICUNA, 'What happens after the man opens the door?', cands) == \
        (mvb['prompt'], mvb['qformer_instruction'])
    # stop ids derived by tokenising the separator, never hard-coded ([[277], [259, 346]] here)
    assert [SP.piece_to_id('\u2581###')] == mvb['stop_words_ids'][0]
    # a training answer that the evaluation prefill continues
    assert MVBENCH_PROMPT.training_answer(cands, 'sit on the chair') == 'Best option:(C) sit on the chair'
    assert MultipleChoicePrompt.answer_option(['a', 'b', 'a'], 'a') == '(C) a'  # the last match
    assert MultipleChoicePrompt.answer_option(['a'], 'z') == '(@) z'
    assert MultipleChoicePrompt.options_block('q', ['x ']) == 'Question: q\nOptions:\n(A) x'


def test_stage2_caption_prompt():
    assert VICUNA.caption_prompt(VIDEO_CAPTION_PROMPTS[0]) == \
        '###Human: <Video><VideoHere></Video> Describe the following video concisely. ###Assistant: '
    assert VICUNA.caption_target('a cat') == 'a cat###'
    assert MISTRAL.caption_prompt(IMAGE_CAPTION_PROMPTS[1], 'image') == \
        '[INST] <Image><ImageHere></Image> Provide a brief description of the given image. [/INST]'
    assert MISTRAL.caption_target('a cat') == 'a cat</s>'


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"exactly one '</Video>'.*found 0.*'</Image>'"):
        VICUNA.split_for_training('###Human: <Image></Image> ###Assistant: a ###', 'video')
    with pytest.raises(ValueError, match='at least one QA'):
        VICUNA.training_conversation([])
    with pytest.raises(KeyError, match="QA pair 0 needs 'q' and 'a'"):
        VICUNA.training_conversation([dict(question='x')])
    with pytest.raises(ValueError, match='must end with a space'):
        VICUNA.training_conversation([dict(q='', a='x')], system='SYS')
    with pytest.raises(ValueError, match="media must be 'video' or 'image'"):
        VICUNA.training_conversation([dict(q='', a='x')], media='audio')
    with pytest.raises(ValueError, match='label_rule'):
        get_conversation_template(dict(base='vicuna_v0', label_rule='chatml'))
    custom = get_conversation_template(dict(base='mistral_inst', roles=['U', 'A']))
    assert custom.roles == ('U', 'A') and custom.train_strip  # config dicts: lists -> tuples
