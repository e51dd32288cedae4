"""CausalLM: official training splice / labels / loss and the MVBench generation path
(shared/parity/videochat2 LLM parts), LoRA key layout, tuning switches, tokenizer, stops."""
import json
import threading
from pathlib import Path

import pytest
import torch

from mmvideofm.models.llm import CausalLM, LlamaSentencePieceTokenizer, stop_token_ids
from mmvideofm.registry import MODELS

DATA = Path(__file__).parents[3] / 'data' / 'llm'
TOL = dict(atol=1e-5, rtol=1e-5)


@pytest.fixture(scope='module')
def fixture():
    return (torch.load(DATA / 'llm_parity.pt', weights_only=True),
            json.loads((DATA / 'parity_manifest.json').read_text()))


def build_lm(facts: dict, peft: dict | None = None) -> CausalLM:
    return MODELS.build(dict(type='CausalLM', model=dict(model_type='llama',
                                                         **facts['llama_config']),
                             tokenizer=str(DATA / 'tokenizer.model'), peft=peft)).eval()


def load_official(lm: CausalLM, data: dict) -> None:
    """Official ``llama_model.*`` keys (peft 0.4 layout) load strictly after a prefix map."""
    state = {'model.' + k[len('llama_model.'):]: v for k, v in data.items()
             if k.startswith('llama_model.')}
    lm.load_state_dict(state, strict=True)


def test_tokenizer_matches_official_ids():
    tok = LlamaSentencePieceTokenizer(DATA / 'tokenizer.model')
    cases = {'###': [277], 'Best option:(': None, ' The video contains 8': None}
    assert tok('###', add_special_tokens=False).input_ids == cases['###']
    assert tok('###').input_ids == [1, 277]  # BOS
    # the legacy quirk: a leading space keeps its own '▁' piece before the dummy prefix
    assert tok.convert_ids_to_tokens(tok(' The', add_special_tokens=False).input_ids)[:2] == [
        '▁', '▁']
    assert tok.decode([1, 277, 2]) == '<s> ###</s>'  # specials kept, legacy spacing


@pytest.mark.parametrize('case,lora', [('vc2_it_f8_s32_q8e4_instr_lora', True),
                                       ('vc2_it_f4_s48_q6e0_noinstr', False)])
def test_training_splice_labels_loss(fixture, case, lora):
    data, facts = fixture[0][case], fixture[1][case]
    mc = facts['model_config']
    peft = dict(type='LoRA', r=mc['lora_r'], alpha=mc['lora_alpha'],
                dropout=mc['lora_dropout']) if lora else None
    lm = build_lm(facts, peft)
    load_official(lm, data)
    segs = facts['train_segments']
    before = [s['p_before'] for s in segs]
    after = [s['p_after'] for s in segs]
    for i in range(len(segs)):
        assert torch.equal(lm.tokenize(before[i]), data[f'io.train.p_before_ids.{i}'])
        assert torch.equal(lm.tokenize(after[i]), data[f'io.train.p_after_ids.{i}'])
    batch = lm.training_inputs(before, data['io.train.img_embeds'], after, 'vicuna_v0')
    assert torch.equal(batch['labels'], data['io.train.labels'])
    assert torch.equal(batch['attention_mask'], data['io.train.attention_mask'])
    torch.testing.assert_close(batch['inputs_embeds'], data['io.train.inputs_embeds'], **TOL)
    assert torch.all(batch['inputs_embeds'][:, 0] == 1.0)  # the official BOS slot: ones
    with torch.no_grad():
        loss = lm(**batch).loss
    torch.testing.assert_close(loss, data['io.train.loss'], **TOL)


def test_generation_path(fixture):
    case = 'vc2_eval_f4to16_s32_q8e8_mvbench'
    data, facts = fixture[0][case], fixture[1][case]
    nb = facts['notebook_lora']
    lm = build_lm(facts, dict(type='LoRA', r=nb['r'], alpha=nb['lora_alpha'],
                              dropout=nb['lora_dropout']))
    load_official(lm, data)
    segs = facts['gen_prompt_segments']
    assert segs == facts['gen_prompt'].split('<VideoHere>')
    assert torch.equal(lm.tokenize(segs[0], bos=True), data['io.gen.segment_ids.0'])
    assert torch.equal(lm.tokenize(segs[1]), data['io.gen.segment_ids.1'])
    with torch.no_grad():
        embeds = lm.splice(segs, [data['io.gen.video_emb'][0]])
        torch.testing.assert_close(embeds, data['io.gen.inputs_embeds'], **TOL)
        logits = lm(embeds).logits[:, -1]
        torch.testing.assert_close(logits, data['io.gen.first_step_logits'], **TOL)
    kw = {k: facts['gen_generate_kwargs'][k] for k in ('max_new_tokens', 'do_sample')}
    ids = lm.generate(embeds, stop=facts['stop_words_ids'], **kw)
    assert ids == data['io.gen.generate_output'][0].tolist()
    assert lm.decode(ids) == facts['gen_decoded_raw']
    assert list(lm.stream(embeds, stop=facts['stop_words_ids'], **kw)) == ids
    # a consumer that goes away stops the generation thread (no work left running)
    stream = lm.stream(embeds, max_new_tokens=400)
    assert next(stream) == ids[0]
    before = threading.active_count()
    stream.close()
    assert threading.active_count() == before - 1


def test_text_only_generation(fixture):
    """A text prompt alone (an LLM controller): BOS + prompt, cut at the stop string."""
    lm = build_lm(fixture[1]['vc2_it_f8_s32_q8e4_instr_lora'])
    ids = lm.generate(lm.splice(['Thought: '], []), stop='###', max_new_tokens=12)
    text = lm.generate_text('Thought: ', stop='###', max_new_tokens=12)
    assert text == lm.decode(ids).replace('</s>', '').split('###')[0].strip()


def test_stop_ids_derived_from_separator():
    tok = LlamaSentencePieceTokenizer(DATA / 'tokenizer.model')
    seqs = stop_token_ids(tok, '###')
    assert seqs[0] == [277]  # '▁###' on its own
    for seq in seqs:  # every derived sequence decodes to the separator
        assert tok.decode(seq).strip() == '###'


def test_tuning_switches_and_lora_keys(fixture):
    facts = fixture[1]['vc2_it_f8_s32_q8e4_instr_lora']
    frozen = build_lm(facts)
    assert not any(p.requires_grad for p in frozen.parameters())
    lora = build_lm(facts, dict(type='LoRA', r=2, alpha=4, dropout=0.0,
                                targets=['q_proj', 'k_proj', 'lm_head']))
    names = [n for n, p in lora.named_parameters() if p.requires_grad]
    assert names and all('lora_' in n for n in names)
    assert any('lm_head.lora_A' in n for n in names) and any('k_proj' in n for n in names)
    cfg = dict(type='CausalLM', model=dict(model_type='llama', **facts['llama_config']),
               tokenizer=str(DATA / 'tokenizer.model'), tuning='partial',
               trainable=[r'layers\.1\.', r'norm'])
    partial = MODELS.build(cfg)
    trained = {n for n, p in partial.named_parameters() if p.requires_grad}
    assert trained and all('layers.1.' in n or 'norm' in n for n in trained)
    assert 'model.model.layers.0.self_attn.q_proj.weight' not in trained
    full = MODELS.build(dict(cfg, tuning='full', trainable=()))
    assert all(p.requires_grad for p in full.parameters())
    embeds = torch.randn(1, 7, 64)
    for kind in ('PrefixTuningConfig', 'PromptTuningConfig'):  # VideoLLM's other methods
        lm = build_lm(facts, dict(method=kind, num_virtual_tokens=3))
        assert [n for n, p in lm.named_parameters() if p.requires_grad] == [
            'model.prompt_encoder.default.embedding.weight']
        batch = lm.training_inputs(['###Human: <Video>'], embeds[:, :2],
                                   ['</Video> ###Human: q ###Assistant: a ###'], 'vicuna_v0')
        lm(**batch).loss.backward()  # trains through the adapter
        assert lm.model.prompt_encoder.default.embedding.weight.grad is not None
    with torch.no_grad():  # prompt tuning generates through its virtual tokens too
        first = lm(embeds, torch.ones(1, 7, dtype=torch.long)).logits[0, -1]
    ids = lm.generate(embeds, stop='###', max_new_tokens=3)
    assert ids[0] == first.argmax().item()
    assert list(lm.stream(embeds, stop='###', max_new_tokens=3)) == ids
    prefix = build_lm(facts, dict(method='PrefixTuningConfig', num_virtual_tokens=3))
    with pytest.raises(NotImplementedError, match='prompt tuning or LoRA'):
        prefix.generate(embeds, max_new_tokens=2)
    with pytest.raises(ValueError, match='partial'):
        MODELS.build(dict(cfg, trainable=()))
    with pytest.raises(ValueError, match='LoRA options'):
        build_lm(facts, dict(rank=4))
    with pytest.raises(FileNotFoundError, match='never downloaded'):
        CausalLM('/nonexistent/vicuna-7b', str(DATA / 'tokenizer.model'))


def test_gradient_checkpointing_and_truncation(fixture):
    facts = fixture[1]['vc2_it_f8_s32_q8e4_instr_lora']
    lm = MODELS.build(dict(type='CausalLM', model=dict(model_type='llama',
                                                       **facts['llama_config']),
                           tokenizer=str(DATA / 'tokenizer.model'), tuning='full',
                           gradient_checkpointing=True, max_txt_len=8)).train()
    assert any(getattr(m, 'gradient_checkpointing', False) for m in lm.model.modules())
    after = '</Video> ' + '###Human: q ###Assistant: a long answer ###' * 4
    batch = lm.training_inputs(['###Human: <Video>'], torch.randn(1, 3, 64), [after],
                               'vicuna_v0')
    assert batch['inputs_embeds'].shape[1] == 8 + 3  # max_txt_len + visual tokens: tail cut
    loss = lm(**batch).loss
    loss.backward()
    assert lm.model.lm_head.weight.grad is not None


def test_stop_ids_cover_a_newline_separator_piece():
    """The synthetic SentencePiece writes 'x\\n###' as ['▁x', '\\n###']: generation must stop on
    that piece too (else it runs to max_new_tokens)."""
    from mmvideofm.datasets.synthetic.instruction import SYNTHETIC_TOKENIZER_DIR
    tok = LlamaSentencePieceTokenizer(Path(SYNTHETIC_TOKENIZER_DIR) / 'tokenizer.model')
    piece = tok('x\n###', add_special_tokens=False).input_ids[-1:]
    assert tok.decode(piece).strip() == '###'
    assert piece in stop_token_ids(tok, '###')
