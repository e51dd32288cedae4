"""FSDP auto-wrap policy: one FSDP unit per transformer layer (ViT ``Block``, LLM decoder layer).

Used through MMEngine's ``FSDPStrategy``::

    model_wrapper=dict(type='MMFullyShardedDataParallel',
                       auto_wrap_policy=dict(type='vit_block_wrap_policy'))        # our Block
    auto_wrap_policy=dict(type='transformer_layer_wrap_policy',
                          layer_cls=['Block', 'LlamaDecoderLayer'])               # by class name
"""
from __future__ import annotations

from collections.abc import Sequence

from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from torch import nn

from mmvideofm.models.layers import Block

__all__ = ['transformer_layer_wrap_policy']

LayerSpec = type | str


def _matches(module: nn.Module, layer_cls: Sequence[LayerSpec]) -> bool:
    """``module`` is an instance of a class in ``layer_cls`` (classes, or names of a class
    in its MRO: ``'LlamaDecoderLayer'`` or ``'transformers.models.llama.modeling_llama.LlamaDecoderLayer'``)."""
    for cls in type(module).__mro__:
        full = f'{cls.__module__}.{cls.__qualname__}'
        for spec in layer_cls:
            if cls is spec or (isinstance(spec, str) and spec in (cls.__name__, full)):
                return True
    return False


# Registered in mmengine's root registry: MMFullyShardedDataParallel looks the policy up
# there (mmengine 0.10.7 does not search grandchild registries such as ours).
@MMENGINE_FUNCTIONS.register_module(
    name=['transformer_layer_wrap_policy', 'vit_block_wrap_policy'])
def transformer_layer_wrap_policy(module: nn.Module, recurse: bool, nonwrapped_numel: int,
                                  layer_cls: Sequence[LayerSpec] = (Block, )) -> bool:
    """``auto_wrap_policy`` for ``FSDPStrategy``: every instance of ``layer_cls`` (default: the
    ViT :class:`Block`, encoder and decoder) is its own FSDP unit; the rest is the root unit."""
    if isinstance(layer_cls, (str, type)):
        layer_cls = (layer_cls, )
    if not layer_cls:
        raise ValueError('transformer_layer_wrap_policy: layer_cls is empty; give the layer '
                         "classes to shard, e.g. layer_cls=['Block', 'LlamaDecoderLayer']")
    if recurse:
        return True
    return _matches(module, layer_cls)
