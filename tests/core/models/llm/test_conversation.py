"""Core conversation templates (data) shared by the video-LLM plugins."""
import dataclasses

import pytest

from mmvideofm.models.llm import (
    CONVERSATION_TEMPLATES,
    ConversationTemplate,
    get_conversation_template,
    register_conversation_template,
)

SYS = 'Watch carefully.\n'


def test_vicuna_v0_matches_the_official_layout():
    # research note 1.5: SYS###Human: <Video><VideoHere></Video>\n###Human: SYS+q\n###Assistant: prefill
    conv = get_conversation_template('vicuna_v0')
    text = conv.prompt(SYS + 'Q?', system=SYS, answer_prefill='Best option:(')
    assert text == (SYS + '###Human: <Video><VideoHere></Video>\n###Human: ' + SYS + 'Q?\n'
                    '###Assistant: Best option:(')
    assert conv.prompt('Q?') == ('###Human: <Video><VideoHere></Video>\n###Human: Q?\n'
                                 '###Assistant:')  # no prefill: the role alone
    segments = conv.split_at_video(text)
    assert [bos for _, bos in segments] == [True, False]
    assert ''.join(s for s, _ in segments) == text.replace('<VideoHere>', '')


def test_mistral_inst_follows_the_demo_notebook():
    # demo_mistral.ipynb: video turn '<Video><VideoHere></Video> [/INST]', sep '', ' ' after turns
    conv = get_conversation_template('mistral_inst')
    assert conv.prompt('Q?', system='', answer_prefill='Best Option:(') == \
        '[INST] <Video><VideoHere></Video> [/INST] [INST] Q? [/INST] Best Option:('
    assert conv.prompt('Q?', system='') == '[INST] <Video><VideoHere></Video> [/INST] [INST] Q? [/INST]'
    merged = dataclasses.replace(conv, video_turn_separate=False,
                                 video_message='<Video><VideoHere></Video> ')
    assert merged.prompt('Q?', system='') == '[INST] <Video><VideoHere></Video> Q? [/INST]'


def test_registry_and_errors():
    with pytest.raises(KeyError, match="unknown conversation template 'chatml'.*vicuna_v0"):
        get_conversation_template('chatml')
    custom = ConversationTemplate(roles=('USER', 'ASSISTANT'), sep='</s>', system='S')
    assert register_conversation_template('test_custom', custom) is custom
    assert register_conversation_template('test_custom', dataclasses.replace(custom)) == custom
    with pytest.raises(KeyError, match='already registered differently'):
        register_conversation_template('test_custom', dataclasses.replace(custom, sep='|'))
    with pytest.raises(TypeError, match='ConversationTemplate'):
        register_conversation_template('test_bad', dict(sep='|'))
    assert custom.prompt('Q').startswith('S</s>USER: ')
    del CONVERSATION_TEMPLATES['test_custom']
    with pytest.raises(dataclasses.FrozenInstanceError):
        custom.sep = '|'  # templates are shared data, never mutated in place


def test_eval_layout_training_template_matches_the_mvbench_prompt():
    # 'vicuna_v0_eval' (not upstream): a training row with i = system, q = system + block is
    # the MVBench prompt up to the prefill; the Q-Former reads i alone; answers supervised
    from mmvideofm.models.llm import MVBENCH_PROMPT
    tmpl = get_conversation_template('vicuna_v0_eval')
    block = MVBENCH_PROMPT.question('Q?', ['x y', 'z'])
    conv, inst = tmpl.training_conversation(
        [dict(i=MVBENCH_PROMPT.system.strip(), q=MVBENCH_PROMPT.system + block,
              a='Best option:(B) z')])
    prompt, qformer = MVBENCH_PROMPT.build(get_conversation_template('vicuna_v0'), 'Q?',
                                           ['x y', 'z'])
    assert conv == prompt.replace('<VideoHere>', '') + 'B) z\n###'
    assert inst == qformer.strip()
    _, after = tmpl.split_for_training(conv)
    words = after.replace('\n', ' \n ').split(' ')  # a whitespace "tokenizer" merging nothing
    mask = tmpl.supervised_mask(after, lambda t: [w for w in t.replace('\n', ' \n ').split(' ')])
    assert ' '.join(w for w, m in zip(words, mask) if m).split() == \
        ['Best', 'option:(B)', 'z', '###']


def test_prefix_label_rule_survives_merged_separators():
    # a tokenizer that merges '\n###' (the synthetic SentencePiece does): 'vicuna' cannot
    # count it, 'prefix' supervises each answer through its '###'
    def tokenize(text):
        return text.replace('\n###', ' \x00').split()
    text = '</Video>\n###Human: q1\n###Assistant: a1\n###Human: q2\n###Assistant: a2 b2\n###'
    prefix = get_conversation_template(dict(base='vicuna_v0_eval'))
    toks = tokenize(text)
    assert [t for t, m in zip(toks, prefix.supervised_mask(text, tokenize)) if m] == \
        ['a1', '\x00Human:', 'a2', 'b2', '\x00']  # '\n###' merged into the next word
    with pytest.raises(ValueError, match='separators'):
        get_conversation_template('vicuna_v0').supervised_mask(
            text.replace('\n', ' '), lambda t: t.replace(' ###', '\x00').split())
    with pytest.raises(ValueError, match='needs a template with a sep'):
        dataclasses.replace(prefix, sep='').supervised_mask(text, tokenize)
