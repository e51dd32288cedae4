"""ITM and MLM heads: official key names, the [CLS] read-out, weight tying."""
import pytest
import torch
from transformers import BertConfig
from transformers.models.bert.modeling_bert import BertOnlyMLMHead

from mmvideofm.registry import MODELS


def test_itm_head_reads_cls_with_official_keys():
    head = MODELS.build(dict(type='VTMHead', in_channels=8))
    assert set(head.state_dict()) == {'weight', 'bias'}  # -> itm_head.weight / .bias
    fused = torch.randn(3, 5, 8)
    torch.testing.assert_close(head(fused), fused[:, 0] @ head.weight.T + head.bias)
    torch.testing.assert_close(head(fused[:, 0]), head(fused))
    torch.testing.assert_close(head.match_score(fused), head(fused)[:, 1])


def test_mlm_head_is_bert_prediction_head():
    head = MODELS.build(dict(type='MLMHead', in_channels=16, vocab_size=30))
    ref = BertOnlyMLMHead(BertConfig(hidden_size=16, vocab_size=30))
    assert head.state_dict().keys() == ref.state_dict().keys()
    ref.load_state_dict(head.state_dict())
    x = torch.randn(2, 4, 16)
    torch.testing.assert_close(head(x), ref(x))
    assert head(x).shape == (2, 4, 30)
    emb = torch.nn.Embedding(30, 16)
    head.tie_to(emb)
    assert head.predictions.decoder.weight is emb.weight
    with pytest.raises(ValueError, match='does not match'):
        head.tie_to(torch.nn.Embedding(31, 16))
