"""Stages 2/3 (``VideoChat2_it_vicuna``) and the MVBench generation path against the
official runs: vision encoder with frame interpolation, instruction-aware Q-Former with
extra queries, the LLM input splice (constant BOS vector), label mask, loss, LoRA keys,
``get_context_emb`` and greedy generation with the notebook's stop rule."""
import pytest
import torch

import projects.videochat2  # noqa: F401
from mmvideofm.registry import MODELS
from projects.videochat2.converter import convert_videochat2

from .fixtures import IT_CASES, assert_close, it_cfg, load, manifest


@pytest.fixture(scope='module', params=IT_CASES)
def case(request):
    name = request.param
    model = MODELS.build(it_cfg(name)).eval()
    model.load_state_dict(convert_videochat2(load(name, 'state_dict')), strict=True)
    return name, model, load(name, 'io'), manifest()[name]['facts']


def _clips(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 2, 1, 3, 4)  # official (B, T, C, H, W) -> ours (B, C, T, H, W)


@torch.no_grad()
def test_encode_img(case):
    name, model, io, facts = case
    video = io['video'] if 'video' in io else io['gen_video']
    instr = facts['encode_img_instruction']
    instr = [instr] * video.shape[0] if isinstance(instr, str) else instr
    assert_close(model.encode_vision(_clips(video)), io['vit.vision_layernorm_out'])
    if model.qformer_tokenizer is not None:
        ids, mask = model.tokenize_instructions(instr, 'cpu')
        assert torch.equal(ids, io['qformer.text_input_ids'])  # [CLS] ... [SEP]
        assert torch.equal(mask, io['qformer.text_attention_mask'])
        vision = model.encode_vision(_clips(video))
        assert_close(model.qformer(vision, ids, mask), io['qformer.last_hidden_state'])
    assert_close(model.encode_media(_clips(video), instr), io['inputs_llama'])
    if 'image' in io:  # T == 1: img_pos_embed
        image_instr = facts['image_instruction']
        n = io['image'].shape[0]
        image_instr = [image_instr] * n if isinstance(image_instr, str) else image_instr
        assert_close(model.encode_media(_clips(io['image']), image_instr), io['image.inputs_llama'])


@torch.no_grad()
def test_training_forward(case):
    name, model, io, facts = case
    if 'train.loss' not in io:
        pytest.skip('evaluation-only case')
    media = 'image' if '</Image>' in facts['train_conversations'][0] else 'video'
    clips = _clips(io[media])
    embeds = model.encode_media(clips, facts['train_instructions'])
    assert_close(embeds, io['train.img_embeds'])
    segs = facts['train_segments']
    for i, seg in enumerate(segs):
        assert model.llm.tokenize(seg['p_before']).tolist() == \
            io[f'train.p_before_ids.{i}'].tolist()
        assert model.llm.tokenize(seg['p_after']).tolist() == io[f'train.p_after_ids.{i}'].tolist()
        assert model.template.split_for_training(facts['train_conversations'][i], media) == \
            (seg['p_before'], seg['p_after'])
    batch = model.llm.training_inputs([s['p_before'] for s in segs], embeds,
                                      [s['p_after'] for s in segs], model.template)
    inputs, mask, labels = batch['inputs_embeds'], batch['attention_mask'], batch['labels']
    assert torch.all(inputs[:, 0] == 1.0)  # the constant BOS vector of the official code
    assert_close(inputs, io['train.inputs_embeds'])
    assert torch.equal(mask, io['train.attention_mask'])
    assert torch.equal(labels, io['train.labels'])
    out = model.llm(**batch)
    sup = labels[:, 1:] != -100
    assert_close(out.logits[:, :-1][sup][:8], io['train.logits_supervised_first8'])
    nll = torch.nn.functional.cross_entropy(out.logits[:, :-1][sup], labels[:, 1:][sup],
                                            reduction='none')
    assert_close(nll, io['train.token_nll'])
    assert_close(out.loss, io['train.loss'])
    # the same through the algorithm's loss() with data samples
    samples = [dict(conversation=c, instruction=i, media_type=media) for c, i in
               zip(facts['train_conversations'], facts['train_instructions'])]
    assert_close(model.loss(clips, samples)['loss'], io['train.loss'])


@torch.no_grad()
def test_generation(case):
    name, model, io, facts = case
    if 'gen.generate_output' not in io:
        pytest.skip('training-only case')
    gen = manifest()[name]['gen']
    prompt = facts['gen_prompt']
    segs = model.template.split_at_video(prompt)
    for i, (seg, bos) in enumerate(segs):
        assert model.llm.tokenize(seg, bos=bos).tolist() == io[f'gen.segment_ids.{i}'].tolist()
    video = _clips(io['gen_video'])
    assert_close(model.encode_media(video, [gen['qformer_instruction']]), io['gen.video_emb'])
    # the fixture's stop ids are this tokenizer's ids of LLaMA's stop pieces
    ids = model.generate_ids(video, prompt, gen['qformer_instruction'],
                             stop=facts['stop_words_ids'], max_new_tokens=gen['max_new_tokens'])
    assert ids == io['gen.generate_output'][0].tolist()  # stopped on '##' '#', not on '#'
    text = model.decode_answer(ids)
    assert model.decode_answer([0, 1, *ids]) == text == facts['gen_decoded_raw']
    assert text.split('###')[0].split('Assistant:')[-1].strip() == facts['gen_answer_text']
    embeds = model.context_embeds(video, prompt, gen['qformer_instruction'])
    assert_close(embeds, io['gen.inputs_embeds'])
    first = model.llm(embeds)
    assert_close(first.logits[:, -1], io['gen.first_step_logits'])


def test_lora_layout(case):
    """peft 0.4 keys map onto peft's ``base_layer`` layout; ``inv_freq`` is recomputed."""
    name, model, _, _ = case
    sd = load(name, 'state_dict')
    lora = [k for k in sd if '.lora_' in k]
    if not lora:
        pytest.skip('no LoRA in this case')
    assert all(k.endswith('.default.weight') and '.self_attn.' in k for k in lora)
    ours = convert_videochat2(sd)
    assert 'llm.model.base_model.model.model.layers.0.self_attn.q_proj.base_layer.weight' in ours
    assert not any(k.endswith('inv_freq') for k in ours)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad and 'llm.' in n}
    assert trainable == {k for k in ours if '.lora_' in k}


def test_bad_input(case):
    """Left truncation of a long Q-Former instruction ([CLS] kept, the start dropped), a
    conversation without the placeholder, an image given as a video and a prompt without
    ``<VideoHere>`` are refused or handled as upstream."""
    name, model, io, facts = case
    if model.qformer_tokenizer is None:
        pytest.skip('no instruction input')
    long = 'first words ' + 'the video ' * 400 + 'last words'
    ids, _ = model.tokenize_instructions([long], 'cpu')
    tok = model.qformer_tokenizer
    assert ids.shape[1] == model.max_txt_len and ids[0, 0] == tok.cls_token_id
    pieces = tok(long, add_special_tokens=False)['input_ids']
    assert ids[0, 1:-1].tolist() == pieces[-(model.max_txt_len - 2):]  # the end is kept
    assert ids[0, -1] == tok.sep_token_id
    clip = _clips(io['video'] if 'video' in io else io['gen_video'])[:1, :, :2]
    with pytest.raises(ValueError, match='exactly one'):
        model.loss(clip, [dict(conversation='###Human: hi ###Assistant: yo ###',
                               media_type='video')])
    with pytest.raises(ValueError, match='image'):
        model.loss(clip, [dict(conversation='###Human: <Image></Image> ###Assistant: a ###',
                               media_type='image')])
    with pytest.raises(ValueError, match='VideoHere'):
        model.context_embeds(clip[0], 'no placeholder here')
