"""``init_cfg=dict(type='SEINEPretrained', checkpoint=PATH, source=...)`` for the SEINE
algorithm: seine.pt, an SD-1.4 UNet or a LaVie UNet, converted while loading (every weight
the file has; the temporal attention keeps its init when the source has none)."""
from __future__ import annotations

from torch import nn

from mmvideofm.checkpoint import ConvertedPretrainedInit, get_converter
from mmvideofm.registry import WEIGHT_INITIALIZERS

__all__ = ['SEINEPretrainedInit']

SOURCES = {'seine': 'seine', 'sd14': 'seine/sd14', 'lavie': 'seine/lavie'}


@WEIGHT_INITIALIZERS.register_module('SEINEPretrained')
class SEINEPretrainedInit(ConvertedPretrainedInit):
    """Load ``checkpoint`` (``source``: ``'seine'``, ``'sd14'`` or ``'lavie'``) into the
    algorithm's ``unet``."""

    def __init__(self, checkpoint: str, source: str = 'seine', **kwargs) -> None:
        if source not in SOURCES:
            raise ValueError(f'source must be one of {sorted(SOURCES)}, got {source!r}')
        super().__init__(checkpoint, **kwargs)
        self.converter_hint = SOURCES[source]

    def convert(self, state_dict: dict, module: nn.Module) -> dict:
        sd = state_dict.get('ema', state_dict)
        sd = get_converter(self.converter_hint)(sd)
        return {f'unet.{k}': v for k, v in sd.items()} if hasattr(module, 'unet') else sd
