"""VideoChat v1 through the core (shared/parity/videochat): the BLIP-2 Q-Former with extra
queries (no text input), llama_proj, and the official multi-turn chat -- prompts, segment ids,
spliced embeddings, greedy answers and the answer TEXT round trip (U+FFFD, ``<unk>``)."""
import json
from pathlib import Path

import pytest
import torch
from mmengine.registry import init_default_scope

from mmvideofm.registry import MODELS

DATA = Path(__file__).parents[3] / 'data' / 'llm'
CASES = ['videochat_f4_s28_d3_g2', 'videochat_f8_s42_d2_g1']
TOL = dict(atol=1e-5, rtol=1e-5)


@pytest.fixture(scope='module')
def fixture():
    return (torch.load(DATA / 'videochat_chat.pt', weights_only=True),
            json.loads((DATA / 'videochat_chat.json').read_text()))


def official_to_core(state: dict) -> dict:
    """VideoChat keys -> BaseVideoLLM keys (prefix maps only)."""
    table = [('Qformer.', 'qformer.'), ('query_tokens', 'qformer.query_tokens'),
             ('extra_query_tokens', 'qformer.extra_query_tokens'),
             ('ln_vision.', 'vision_layernorm.'), ('llama_proj.', 'llm_proj.'),
             ('llama_model.', 'llm.model.')]
    out = {}
    for key, value in state.items():
        if key.startswith('io.'):
            continue
        for old, new in table:
            if key.startswith(old):
                key = new + key[len(old):]
                break
        out[key] = value
    return out


def build(data: dict, facts: dict):
    init_default_scope('mmvideofm')
    qc, vc = facts['qformer_config'], facts['videochat_config']
    width = qc['encoder_width']
    bert = {k: qc[k] for k in ('hidden_size', 'num_hidden_layers', 'num_attention_heads',
                               'hidden_act', 'intermediate_size', 'hidden_dropout_prob',
                               'attention_probs_dropout_prob', 'max_position_embeddings',
                               'layer_norm_eps')}
    model = MODELS.build(dict(
        type='BaseVideoLLM',
        vision_encoder=dict(type='VideoViT', img_size=28, patch_size=14, embed_dim=width,
                            depth=1, num_heads=4, num_frames=4, out_type='raw'),
        qformer=dict(type='QFormer', bert_config=bert, encoder_width=width,
                     num_query_tokens=vc['num_query_token'],
                     num_extra_query_tokens=vc['extra_num_query_token'], text_input=False,
                     cross_attention_freq=qc['cross_attention_freq']),
        vision_layernorm=1e-6,
        llm=dict(type='CausalLM', model=dict(model_type='llama', **facts['llama_config']),
                 tokenizer=str(DATA / 'videochat_tokenizer.model')),
        template='videochat')).eval()
    missing, unexpected = model.load_state_dict(official_to_core(data), strict=False)
    assert not unexpected and all(k.startswith('vision_encoder.') for k in missing)
    return model


@pytest.mark.parametrize('case', CASES)
def test_videochat_qformer_and_chat(fixture, case):
    data, facts = fixture[0][case], fixture[1][case]
    model = build(data, facts)
    with torch.no_grad():
        hidden = model.qformer(data['io.image_embeds'])
        torch.testing.assert_close(hidden, data['io.qformer_last_hidden_state'], **TOL)
        torch.testing.assert_close(model.llm_proj(hidden), data['io.inputs_llama'], **TOL)
    visual = data['io.chat_visual_embeds'][0]
    conv = model.template.new()
    conv.add_media('video', facts['video_msg'])
    for k, turn in enumerate(facts['turns']):
        conv.ask(turn['question'])
        prompt = conv.get_prompt()
        assert prompt == turn['prompt']
        segments = prompt.split('<VideoHere>')
        for i, seg in enumerate(turn['segments']):
            assert segments[i] == seg['text']
            assert model.llm.tokenize(seg['text'], bos=i == 0).tolist() == seg['input_ids']
        with torch.no_grad():
            embeds = model._prompt_embeds(segments, [visual])
            torch.testing.assert_close(embeds, data[f'io.turn{k}.inputs_embeds'], **TOL)
        gen = dict(max_new_tokens=turn['max_new_tokens'])
        ids = model.llm.generate(embeds, stop=model.template.stop_strings, **gen)
        assert ids == turn['generate_output_ids'][1:]  # 4.28 prepended a BOS placeholder
        answer = model.answer(segments, [visual], **gen)
        assert answer == turn['answer_text']
        assert ''.join(model.stream_answer(segments, [visual], **gen)) == answer
        conv.answer(answer)  # the TEXT goes back into the next prompt, as officially
    assert [list(m) for m in conv.messages] == facts['final_messages']
