"""Load official VideoMAE V2 files straight from a config (converted on the fly)."""
from __future__ import annotations

from torch import nn

from mmvideofm.checkpoint import ConvertedPretrainedInit, load_converted_weights
from mmvideofm.registry import WEIGHT_INITIALIZERS

from .converter import convert_videomaev2

__all__ = ['VideoMAEv2PretrainedInit', 'load_videomaev2_weights']


def _convert(sd: dict, module: nn.Module) -> dict:
    target = 'backbone' if hasattr(module, 'patch_embed') else 'recognizer'
    return convert_videomaev2(sd, target=target)


def load_videomaev2_weights(module: nn.Module, checkpoint: str, strict: bool = False,
                            trusted: bool = False) -> tuple[list[str], list[str]]:
    """Load any VideoMAE V2 checkpoint into a backbone (has ``patch_embed``) or a model with a
    ``backbone`` (recognizer, :class:`VideoMAEv2`), converting its keys first.

    With ``strict=False`` keys the module lacks (a pre-training decoder for a classifier, the
    encoder ``norm`` for a mean-pooling model) and mis-shaped ones (a 710-way head for a
    400-way model) are skipped and logged.
    """
    missing = load_converted_weights(module, checkpoint, _convert, strict, trusted, 'videomaev2')
    return missing, []


@WEIGHT_INITIALIZERS.register_module('VideoMAEv2Pretrained')
class VideoMAEv2PretrainedInit(ConvertedPretrainedInit):
    """``init_cfg=dict(type='VideoMAEv2Pretrained', checkpoint=PATH)``: an official (or
    mmaction2 / mmvideofm) VideoMAE V2 file, converted while loading."""

    converter_hint = 'videomaev2'

    def convert(self, state_dict: dict, module: nn.Module) -> dict:
        return _convert(state_dict, module)
