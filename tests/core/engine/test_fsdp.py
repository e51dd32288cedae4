import pytest
from mmengine.registry import FUNCTIONS
from torch import nn

from mmvideofm.engine.fsdp import transformer_layer_wrap_policy
from mmvideofm.models.layers import Block


def _units(model, **kw):
    return [m for m in model.modules() if transformer_layer_wrap_policy(m, False, 0, **kw)]


def test_default_wraps_each_vit_block_and_keeps_the_config_name():
    assert FUNCTIONS.get('vit_block_wrap_policy') is transformer_layer_wrap_policy
    assert FUNCTIONS.get('transformer_layer_wrap_policy') is transformer_layer_wrap_policy
    model = nn.Sequential(nn.Linear(8, 8), *[Block(8, 2) for _ in range(3)], nn.LayerNorm(8))
    assert _units(model) == list(model[1:4])
    assert transformer_layer_wrap_policy(model, True, 0)  # always recurse into children


def test_llm_decoder_layers_by_class_name():
    from transformers import LlamaConfig, LlamaForCausalLM
    llm = LlamaForCausalLM(LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32,
                                       num_hidden_layers=2, num_attention_heads=2,
                                       num_key_value_heads=2))
    layers = list(llm.model.layers)
    assert _units(llm, layer_cls=['LlamaDecoderLayer']) == layers
    full = 'transformers.models.llama.modeling_llama.LlamaDecoderLayer'
    assert _units(llm, layer_cls=full) == layers
    assert _units(llm) == []  # no ViT Block in an LLM

    class MyBlock(Block):
        pass

    assert _units(nn.Sequential(MyBlock(8, 2)), layer_cls=['Block']) != []  # subclasses too
    with pytest.raises(ValueError, match='layer_cls is empty'):
        transformer_layer_wrap_policy(llm, True, 0, layer_cls=[])
