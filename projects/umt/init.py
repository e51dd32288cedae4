"""Load official UMT files straight from a config (converted on the fly)."""
from __future__ import annotations

from torch import nn

from mmvideofm.checkpoint import ConvertedPretrainedInit, load_converted_weights
from mmvideofm.registry import WEIGHT_INITIALIZERS

from .converter import convert_umt

__all__ = ['UMTPretrainedInit', 'load_umt_weights']


def _select(sd: dict, module: nn.Module, prefix: str | None) -> dict:
    if prefix is None:  # pick the part of the converted file this module is
        if hasattr(module, 'class_embedding'):
            prefix = 'teacher.'
        elif hasattr(module, 'patch_embed') and not hasattr(module, 'backbone'):
            prefix = 'backbone.'
        else:
            prefix = ''
    if not prefix:
        return sd
    return {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}


def load_umt_weights(module: nn.Module, checkpoint: str, strict: bool = False,
                     prefix: str | None = None, trusted: bool = False) -> list[str]:
    """Load any UMT / CLIP-visual checkpoint into a ``UMTViT``, a ``CLIPVisual`` teacher, a
    recognizer or a UMT algorithm, converting its keys first.

    With ``strict=False`` keys the module lacks (``clip_decoder`` for a classifier, a teacher
    in a stage-2 file) or whose shapes differ (a 710-way head for 400 classes) are skipped and
    logged. Returns the model keys the checkpoint did not provide.
    """
    return load_converted_weights(module, checkpoint,
                                  lambda sd, m: _select(convert_umt(sd), m, prefix),
                                  strict, trusted, 'umt')


@WEIGHT_INITIALIZERS.register_module('UMTPretrained')
class UMTPretrainedInit(ConvertedPretrainedInit):
    """``init_cfg=dict(type='UMTPretrained', checkpoint=PATH)``: an official UMT file (any
    layout the ``umt`` converter knows), an mmaction2 one or a CLIP visual state dict.

    Args:
        checkpoint: Local file.
        prefix: Part of the converted keys to load (``'backbone.'``, ``'teacher.'``); by
            default chosen from the module (teacher, backbone, or whole model).
        strict: Require every key to match.
        trusted: Allow arbitrary pickles.
    """

    converter_hint = 'umt'

    def __init__(self, checkpoint: str, prefix: str | None = None, strict: bool = False,
                 trusted: bool = False, **kwargs) -> None:
        super().__init__(checkpoint, strict=strict, trusted=trusted)
        self.prefix = prefix

    def convert(self, state_dict: dict, module: nn.Module) -> dict:
        return _select(convert_umt(state_dict), module, self.prefix)
