"""VideoChat-Embed against the official code (shared/parity/videochat, every case): the EVA
ViT + GMHRA intermediates, ln_vision, Q-Former, llama_proj, the EVA-checkpoint load, the
official trainable set and delta-checkpoint layout, and the multi-turn chat through the whole
model (the core test covers the chat on the Q-Former alone)."""
import pytest
import torch

from mmvideofm.checkpoint import get_converter
from projects.videochat.converter import official_to_ours

from .fixtures import CASES, TOL, build_case, load_case


@pytest.mark.parametrize('case', CASES)
def test_vision_qformer_projection(case):
    _, io, _ = load_case(case)
    model = build_case(case)
    vit = model.vision_encoder
    video = io['video'].permute(0, 2, 1, 3, 4)  # official encode_img permute
    with torch.no_grad():
        torch.testing.assert_close(vit.patch_embed.proj(video), io['patch_embed_out'], **TOL)
        out, inter = vit(video, return_intermediates=True)
        for i, block in enumerate(inter['blocks']):
            torch.testing.assert_close(block, io[f'vit_block_out.{i}'], **TOL)
        assert len(inter['gmhra']) == len([k for k in io if k.startswith('gmhra_token_out')])
        for j, token in enumerate(inter['gmhra']):
            torch.testing.assert_close(token, io[f'gmhra_token_out.{j}'], **TOL)
        torch.testing.assert_close(out, io['visual_encoder_out'], **TOL)
        torch.testing.assert_close(model.encode_vision(video), io['image_embeds'], **TOL)
        torch.testing.assert_close(model.qformer.query_embeds(), io['query_tokens_cat'], **TOL)
        torch.testing.assert_close(model.qformer(io['image_embeds']),
                                   io['qformer_last_hidden_state'], **TOL)
        inputs_llama, atts = model.encode_img(io['video'])
        torch.testing.assert_close(inputs_llama, io['inputs_llama'], **TOL)
        assert torch.equal(atts, io['atts_llama'])
        torch.testing.assert_close(model.encode_img(io['video'][:1])[0],
                                   io['chat_visual_embeds'], **TOL)


@pytest.mark.parametrize('case', CASES)
def test_chat_through_the_model(case):
    """Official Chat.upload_video / ask / answer, greedy, with the tiny tokenizer's stops."""
    _, io, facts = load_case(case)
    model = build_case(case)
    with torch.no_grad():
        visual = model.encode_img(io['video'][:1])[0][0]
    conv = model.template.new()
    conv.add_media('video', facts['video_msg'])
    for k, turn in enumerate(facts['turns']):
        conv.ask(turn['question'])
        segments = conv.get_prompt().split('<VideoHere>')
        assert [s['text'] for s in turn['segments']] == segments
        with torch.no_grad():
            embeds = model._prompt_embeds(segments, [visual])
        torch.testing.assert_close(embeds, io[f'turn{k}.inputs_embeds'], **TOL)
        answer = model.answer(segments, [visual], max_new_tokens=turn['max_new_tokens'])
        assert answer == turn['answer_text']
        conv.answer(answer)
    assert [list(m) for m in conv.messages] == facts['final_messages']


@pytest.mark.parametrize('case', CASES)
def test_trainable_set_and_delta_checkpoint(case):
    state, _, facts = load_case(case)
    model = build_case(case, load=False)
    convert = get_converter('videochat')
    official = facts['requires_grad_after_init']
    ours = dict(model.named_parameters())
    mapped = convert({k: state[k] for k in official})
    assert {k: ours[k].requires_grad for k in mapped} == {
        new: official[old] for old, new in zip(official, mapped)}
    # the delta checkpoint tasks/train.py writes (trainable params + buffers) loads with
    # exactly the frozen parameters missing, as the official strict=False load reports
    delta = convert({k: state[k] for k in facts['delta_ckpt_keys']})
    missing, unexpected = model.load_state_dict(delta, strict=False)
    assert not unexpected
    assert sorted(missing) == sorted(official_to_ours(
        dict.fromkeys(facts['delta_load_msg']['missing'])))


@pytest.mark.parametrize('case', CASES)
def test_eva_checkpoint_load(case):
    """eva_vit_g.pth (2-D, other grid) -> pos_embed bicubic resize, patch weight inflation."""
    _, io, facts = load_case(case)
    model = build_case(case, load=False)
    ckpt = {k[len('eva_ckpt.'):]: v for k, v in io.items() if k.startswith('eva_ckpt.')}
    missing, unexpected = model.load_state_dict(get_converter('eva_vit_g')(ckpt), strict=False)
    assert not unexpected
    assert len([k for k in missing if k.startswith('vision_encoder.')]) \
        == facts['eva_load_msg']['n_missing']
    own = model.vision_encoder.state_dict()
    for key, value in io.items():
        if key.startswith('eva_loaded.'):
            torch.testing.assert_close(own[key[len('eva_loaded.'):]], value, **TOL)


def test_blip2_checkpoint_load():
    """blip2_pretrained_flant5xxl.pth: the Q-Former minus its text parts, queries, ln_vision;
    the official strict=False load misses only the ViT (+ what BLIP-2 does not have)."""
    case = 'videochat_f8_s42_d2_g1'
    _, _, facts = load_case(case)
    model = build_case(case, load=False)
    blip2 = {k: torch.zeros(shape) for k, shape in facts['blip2_ckpt_keys'].items()}
    missing, unexpected = model.load_state_dict(get_converter('blip2_qformer')(blip2),
                                                strict=False)
    assert not unexpected
    official_missing = official_to_ours(dict.fromkeys(facts['blip2_load_msg']['missing']))
    assert set(official_missing) <= set(missing)
    assert all(k.startswith(('vision_encoder.', 'llm.', 'llm_proj.', 'qformer.extra'))
               for k in missing)


def test_13b_checkpoint_in_7b_model_fails():
    """Upstream issue #101: a StableVicuna-13B VideoChat delta into a 7B config."""
    from projects.videochat.models import LLMSizeMismatchError
    model = build_case('videochat_f8_s42_d2_g1', load=False)
    width = model.llm_proj.weight.shape[1]
    bad = {'llm_proj.weight': torch.zeros(5120, width), 'llm_proj.bias': torch.zeros(5120)}
    with pytest.raises(LLMSizeMismatchError, match='13B'):
        model.load_state_dict(bad, strict=False)
