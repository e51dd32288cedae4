"""Stage 1 (``VideoChat2_qformer``): forward, the three losses and the gradients of one
backward against the official run (video batch, then an image batch with a duplicate idx;
the temperature clamp of the first forward persists)."""
import pytest
import torch

import projects.videochat2  # noqa: F401
from mmvideofm.registry import MODELS
from projects.videochat2.converter import convert_videochat2

from .fixtures import S1_CASE, assert_close, load, manifest, stage1_cfg


@pytest.fixture(scope='module')
def model():
    model = MODELS.build(stage1_cfg()).eval()
    model.load_state_dict(convert_videochat2(load(S1_CASE, 'state_dict')), strict=True)
    return model


def test_stage1_parity(model):
    io, facts = load(S1_CASE, 'io'), manifest()[S1_CASE]
    named = dict(model.named_parameters())
    for batch in ['video', 'image']:  # in this order: the clamp persists
        ids, mask = model.tokenize(facts[f'{batch}_batch']['captions'], 'cpu')
        assert torch.equal(ids, io[f'{batch}.text_input_ids'])  # [CLS] x, no [SEP]
        assert torch.equal(mask, io[f'{batch}.text_attention_mask'])
        model.set_rng_state(io[f'{batch}.vtm.rng_state'])  # replays the hard negatives
        model.zero_grad()
        video = io[batch].permute(0, 2, 1, 3, 4)
        assert_close(model.encode_vision(video), io[f'{batch}.vision_embeds'])
        losses = model.loss_tokens(video, ids, mask, io[f'{batch}.idx'])
        assert_close(model.temp, io[f'{batch}.temp_after'])
        for name in ('vtc', 'vtm', 'cap'):
            assert_close(losses[f'loss_{name}'], io[f'{batch}.loss_{name}'])
        sum(losses.values()).backward()
        grads = [k for k in io if k.startswith(f'{batch}.grad.')]
        assert len(grads) == 12
        for key in grads:
            name = key[len(batch) + 6:]
            name = 'qformer.query_tokens' if name == 'query_tokens' else name
            assert_close(named[name].grad, io[key], atol=1e-6, rtol=1e-5)
        assert all(p.grad is None for p in model.vision_encoder.parameters())


def test_stage1_constructor():
    """Query FFNs start as copies of the text FFNs; the MLM decoder is tied; ViT frozen."""
    torch.manual_seed(0)
    model = MODELS.build(stage1_cfg())
    layer = model.qformer.bert.encoder.layer[0]
    assert torch.equal(layer.intermediate_query.dense.weight, layer.intermediate.dense.weight)
    assert layer.intermediate_query.dense.weight is not layer.intermediate.dense.weight
    assert model.qformer.cls.predictions.decoder.weight is \
        model.qformer.bert.embeddings.word_embeddings.weight
    assert len(model.tokenizer) == 217 and model.tokenizer.bos_token_id == 216
    model.train()
    assert not model.vision_encoder.training
    with pytest.raises(ValueError, match='num_frames'):
        model.encode_vision(torch.zeros(1, 3, 2, 32, 32))
