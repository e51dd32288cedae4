"""MVBench prompts are composed on the core conversation templates."""
from mmvideofm.models.llm import get_conversation_template
from projects.mvbench import build_template


def test_presets_use_core_conversations():
    assert build_template().conversation == get_conversation_template('vicuna_v0')
    inst = build_template(dict(style='mistral_inst'))
    assert inst.conversation == get_conversation_template('mistral_inst')
    assert inst.sep == '' and inst.roles == ('[INST]', '[/INST]')


def test_conversation_from_config_dict_and_field_overrides():
    tpl = build_template(dict(conversation=dict(roles=['USER', 'ASSISTANT'], sep='</s>')))
    prompt = tpl.build('Q?', ['a', 'b'])
    assert prompt.text.count('USER: ') == 2 and prompt.text.endswith('ASSISTANT: Best option:(')
    assert build_template(dict(sep='|')).conversation.sep == '|'  # single fields still work
    assert get_conversation_template('vicuna_v0').sep == '###'  # the shared one is untouched
    assert tpl.to_dict()['conversation']['sep'] == '</s>'  # part of the run fingerprint
