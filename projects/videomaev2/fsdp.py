"""FSDP auto-wrap policy for the billion-parameter configs: one FSDP unit per ViT block."""
from __future__ import annotations

from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from torch import nn

from mmvideofm.models.layers import Block

__all__ = ['vit_block_wrap_policy']


# Registered in mmengine's root registry: MMFullyShardedDataParallel looks the policy up
# there (mmengine 0.10.7 does not search grandchild registries such as ours).
@MMENGINE_FUNCTIONS.register_module()
def vit_block_wrap_policy(module: nn.Module, recurse: bool, nonwrapped_numel: int) -> bool:
    """``auto_wrap_policy`` for ``FSDPStrategy``: shard every transformer :class:`Block`
    (encoder and decoder) as its own unit; the rest goes into the root unit."""
    if recurse:
        return True
    return isinstance(module, Block)
