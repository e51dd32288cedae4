"""Load official UMT files straight from a config (converted on the fly)."""
from __future__ import annotations

import torch
from mmengine.logging import print_log
from torch import nn

from mmvideofm.checkpoint import load_checkpoint_file, load_state_dict_checked, unwrap_state_dict
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
    sd = _select(convert_umt(unwrap_state_dict(load_checkpoint_file(checkpoint,
                                                                     trusted=trusted))),
                 module, prefix)
    if not strict:
        own = module.state_dict()
        skipped = [k for k, v in sd.items() if k not in own or own[k].shape != v.shape]
        sd = {k: v for k, v in sd.items() if k not in skipped}
        if skipped:
            print_log(f'{checkpoint}: skipped {len(skipped)} keys the model lacks or whose '
                      f'shapes differ: {skipped[:10]}', logger='current')
    missing, _ = load_state_dict_checked(module, sd, strict=strict, converter_hint='umt')
    if missing:
        print_log(f'{checkpoint}: {len(missing)} model keys not in the checkpoint (kept as '
                  f'initialised): {missing[:10]}', logger='current')
    return missing


@WEIGHT_INITIALIZERS.register_module('UMTPretrained')
class UMTPretrainedInit:
    """``init_cfg=dict(type='UMTPretrained', checkpoint=PATH)``: an official UMT file (any
    layout the ``umt`` converter knows), an mmaction2 one or a CLIP visual state dict.

    Args:
        checkpoint: Local file.
        prefix: Part of the converted keys to load (``'backbone.'``, ``'teacher.'``); by
            default chosen from the module (teacher, backbone, or whole model).
        strict: Require every key to match.
        trusted: Allow arbitrary pickles.
    """

    def __init__(self, checkpoint: str, prefix: str | None = None, strict: bool = False,
                 trusted: bool = False, **kwargs) -> None:
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.strict = strict
        self.trusted = trusted

    def __call__(self, module: nn.Module) -> None:
        with torch.no_grad():
            load_umt_weights(module, self.checkpoint, self.strict, self.prefix, self.trusted)

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint}'
