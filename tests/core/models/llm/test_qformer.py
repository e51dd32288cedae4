"""Q-Former: official-key parity on the Q-Former parts of shared/parity/videochat2, modes."""
import json
from pathlib import Path

import pytest
import torch

from mmvideofm.models.llm import QFormer
from mmvideofm.models.text.tokenizers import build_tokenizer
from mmvideofm.registry import MODELS

DATA = Path(__file__).parents[3] / 'data' / 'llm'
CASES = ['vc2_it_f8_s32_q8e4_instr_lora', 'vc2_it_f4_s48_q6e0_noinstr',
         'vc2_eval_f4to16_s32_q8e8_mvbench']
TOL = dict(atol=1e-5, rtol=1e-5)


@pytest.fixture(scope='module')
def fixture():
    return (torch.load(DATA / 'qformer_parity.pt', weights_only=True),
            json.loads((DATA / 'parity_manifest.json').read_text()))


def qformer_tokenizer():
    """bert vocab + [DEC] as BOS, left truncation (official init_tokenizer)."""
    tok = build_tokenizer(dict(type='BertTokenizer', vocab_file=str(DATA / 'bert_vocab.txt')))
    tok.truncation_side = 'left'
    tok.add_special_tokens({'bos_token': '[DEC]'})
    return tok


def build_case(data: dict, facts: dict) -> tuple[QFormer, torch.nn.Linear]:
    mc = facts['model_config']
    text_input = mc['qformer_text_input']
    bert = dict(facts['bert_config'])
    if text_input:
        bert['vocab_size'] += 1  # [DEC]
    model = MODELS.build(dict(
        type='QFormer', bert_config=bert,
        encoder_width=mc['vision_encoder']['encoder_embed_dim'],
        num_query_tokens=mc['num_query_token'],
        num_extra_query_tokens=mc['extra_num_query_token'], text_input=text_input,
        drop_path_rate=mc['qformer_drop_path_rate'])).eval()
    state = {k[len('qformer.'):] if k.startswith('qformer.') else k: v
             for k, v in data.items() if not k.startswith(('io.', 'llama_proj.'))}
    model.load_state_dict(state, strict=True)
    proj = torch.nn.Linear(*data['llama_proj.weight'].shape[::-1])
    proj.load_state_dict({'weight': data['llama_proj.weight'], 'bias': data['llama_proj.bias']})
    return model, proj


@pytest.mark.parametrize('case', CASES)
def test_official_parity(fixture, case):
    data, facts = fixture[0][case], fixture[1][case]
    model, proj = build_case(data, facts)
    vision = data['io.vit.vision_layernorm_out']
    ids = data.get('io.qformer.text_input_ids')
    mask = data.get('io.qformer.text_attention_mask')
    if ids is not None:  # the recorded ids are our tokenizer's (left truncation, [CLS] ... [SEP])
        instr = facts['encode_img_instruction']
        enc = qformer_tokenizer()(instr, padding='longest', truncation=True, max_length=512,
                                  return_tensors='pt')
        assert torch.equal(enc.input_ids, ids) and torch.equal(enc.attention_mask, mask)
    with torch.no_grad():
        emb = model.bert.embeddings(ids, model.query_embeds().expand(vision.shape[0], -1, -1))
        torch.testing.assert_close(emb, data['io.qformer.embeddings_out'], **TOL)
        hidden = model(vision, ids, mask)
        torch.testing.assert_close(hidden, data['io.qformer.last_hidden_state'], **TOL)
        torch.testing.assert_close(proj(model.encode_queries(vision, ids, mask)),
                                   data['io.inputs_llama'], **TOL)
        if 'io.image.qformer.last_hidden_state' in data:
            img = data['io.image.vision_layernorm_out']
            instr = facts['image_instruction']
            enc = qformer_tokenizer()([instr] if isinstance(instr, str) else instr,
                                      padding='longest', return_tensors='pt')
            out = model(img, enc.input_ids, enc.attention_mask) if model.text_input else model(img)
            torch.testing.assert_close(out, data['io.image.qformer.last_hidden_state'], **TOL)


def test_layout_and_modes(fixture):
    data, facts = fixture[0][CASES[0]], fixture[1][CASES[0]]
    model, _ = build_case(data, facts)
    keys = set(model.state_dict())
    assert 'bert.encoder.layer.0.crossattention.self.key.weight' in keys
    assert 'bert.encoder.layer.1.crossattention.self.key.weight' not in keys  # freq 2
    assert {'bert.encoder.layer.2.intermediate_query.dense.weight',
            'bert.encoder.layer.2.output_query.LayerNorm.bias',
            'extra_query_tokens'} <= keys
    assert model.state_dict()['bert.encoder.layer.0.crossattention.self.key.weight'].shape == (
        32, 48)
    vision = data['io.vit.vision_layernorm_out']
    ids = data['io.qformer.text_input_ids']
    mask = data['io.qformer.text_attention_mask']
    with torch.no_grad():
        # caption mode: queries never see the text, so their outputs equal queries alone
        causal = model(vision, ids, mask, causal_text=True)
        alone = model(vision)
        torch.testing.assert_close(causal[:, :12], alone, **TOL)
        # text only (stage-1 text encoder): no queries, no video needed
        assert model.encode_text(ids, mask).shape == ids.shape + (32, )
    with pytest.raises(ValueError, match='encoder_width'):
        model.encode_queries(torch.zeros(1, 4, 7))


def test_lm_head_tied_and_no_text(fixture):
    cfg = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
               intermediate_size=32, max_position_embeddings=16)
    q = QFormer(cfg, encoder_width=8, num_query_tokens=3, lm_head=True)
    assert q.cls.predictions.decoder.weight is q.bert.embeddings.word_embeddings.weight
    ids = torch.randint(0, 50, (2, 5))
    assert q.lm_logits(q.encode_text(ids)).shape == (2, 5, 50)
    blip2 = QFormer(cfg, encoder_width=8, num_query_tokens=3, num_extra_query_tokens=2,
                    text_input=False)
    assert not any('word_embeddings' in k or '.intermediate.' in k for k in blip2.state_dict())
    assert blip2.encode_queries(torch.randn(2, 10, 8), ids).shape == (2, 5, 16)  # text ignored
    with pytest.raises(ValueError, match='text_input=False'):
        blip2(torch.randn(2, 10, 8), ids)
    with pytest.raises(ValueError, match='max_txt_len'):
        q.encode_text(torch.zeros(1, 17, dtype=torch.long))


def test_gradient_checkpointing_same_result():
    cfg = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
               intermediate_size=32, max_position_embeddings=16, hidden_dropout_prob=0.0,
               attention_probs_dropout_prob=0.0)
    torch.manual_seed(0)
    q = QFormer(cfg, encoder_width=8, num_query_tokens=3).train()
    vision, ids = torch.randn(2, 10, 8), torch.randint(0, 50, (2, 4))
    plain = q(vision, ids)
    plain.sum().backward()
    grad = q.query_tokens.grad.clone()
    q.zero_grad()
    q.set_grad_checkpointing(True)
    ckpt = q(vision, ids)
    ckpt.sum().backward()
    torch.testing.assert_close(ckpt, plain)
    torch.testing.assert_close(q.query_tokens.grad, grad)


def test_builds_on_the_meta_device():
    """Parameter counts / FSDP shells build models under ``torch.device('meta')``."""
    cfg = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
               intermediate_size=32, max_position_embeddings=16)
    with torch.device('meta'):
        q = QFormer(cfg, encoder_width=8, num_query_tokens=3, drop_path_rate=0.1)
    assert q.query_tokens.is_meta and sum(p.numel() for p in q.parameters()) > 0
