"""BertFusionEncoder: official keys; text layers = transformers' BERT, fusion layers =
transformers' BertLayer with cross-attention, from the same weights."""
import copy

import pytest
import torch
from transformers import BertConfig
from transformers.models.bert.modeling_bert import BertLayer

from mmvideofm.models.text import BertFusionEncoder, extended_attention_mask

CFG = dict(vocab_size=50, hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
           intermediate_size=64, max_position_embeddings=16, hidden_dropout_prob=0.0,
           attention_probs_dropout_prob=0.0)


def _encoder(fusion_layer=2):
    torch.manual_seed(0)
    return BertFusionEncoder(CFG, fusion_layer=fusion_layer).eval()


def _inputs():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 50, (3, 10), generator=g)
    mask = torch.ones(3, 10, dtype=torch.long)
    mask[1, 7:] = 0
    mask[2, 4:] = 0
    return ids, mask


def test_official_keys():
    keys = set(_encoder().state_dict())
    assert 'bert.encoder.layer.2.crossattention.self.query.weight' in keys
    assert 'bert.encoder.layer.1.attention.output.LayerNorm.weight' in keys
    assert 'bert.encoder.layer.0.intermediate.dense.weight' in keys
    assert 'cls.predictions.transform.dense.weight' in keys
    assert not any(k.startswith('bert.encoder.layer.1.crossattention') for k in keys)
    enc = _encoder()
    assert enc.cls.predictions.decoder.weight is enc.bert.embeddings.word_embeddings.weight


def test_text_mode_equals_transformers_bert():
    """Without fusion layers, forward_text is BertModel's last hidden state."""
    enc = _encoder(fusion_layer=3)
    ref = copy.deepcopy(enc)
    from transformers import BertModel
    bert = BertModel(BertConfig(**CFG), add_pooling_layer=False).eval()
    bert.embeddings.load_state_dict(ref.bert.embeddings.state_dict())
    bert.encoder.layer.load_state_dict(ref.bert.encoder.layer.state_dict())
    ids, mask = _inputs()
    with torch.no_grad():
        ours = enc.forward_text(ids, mask)
        theirs = bert(input_ids=ids, attention_mask=mask).last_hidden_state
    keep = mask.bool()
    torch.testing.assert_close(ours[keep], theirs[keep], atol=1e-5, rtol=1e-5)


def test_fusion_layer_equals_bert_cross_attention_layer():
    """A fusion layer computes what transformers' BertLayer does with cross-attention."""
    enc = _encoder(fusion_layer=2)
    ids, mask = _inputs()
    vision = torch.randn(3, 12, 32)
    dec_cfg = BertConfig(**CFG, is_decoder=True, add_cross_attention=True)
    ref = BertLayer(dec_cfg).eval()
    ref.load_state_dict(enc.bert.encoder.layer[2].state_dict(), strict=True)
    with torch.no_grad():
        text = enc.forward_text(ids, mask)
        ours = enc.forward_fusion(text, mask, vision)
        ext = extended_attention_mask(mask, text.dtype)
        theirs = ref(text, ext, encoder_hidden_states=vision)
        theirs = theirs[0] if isinstance(theirs, tuple) else theirs
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
    # the fused output depends on the video
    with torch.no_grad():
        other = enc.forward_fusion(text, mask, vision.flip(0))
    assert (other - ours).abs().max() > 1e-3


def test_bad_inputs():
    enc = _encoder()
    ids, mask = _inputs()
    text = enc.forward_text(ids, mask)
    with pytest.raises(ValueError, match='BERT hidden size'):
        enc.forward_fusion(text, mask, torch.randn(3, 4, 16))
    with pytest.raises(ValueError, match='video tokens'):
        enc.bert.encoder.layer[2](text, extended_attention_mask(mask, text.dtype))
    with pytest.raises(ValueError, match='fusion_layer'):
        BertFusionEncoder(CFG, fusion_layer=4)
    assert enc.mlm_logits(text).shape == (3, 10, 50) and enc.pooled_dim == 32
