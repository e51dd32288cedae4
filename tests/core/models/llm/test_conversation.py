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
