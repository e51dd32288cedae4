"""Load official VideoMAE V2 files straight from a config (converted on the fly)."""
from __future__ import annotations

import torch
from mmengine.logging import print_log
from torch import nn

from mmvideofm.checkpoint import load_checkpoint_file, load_state_dict_checked, unwrap_state_dict
from mmvideofm.registry import WEIGHT_INITIALIZERS

from .converter import convert_videomaev2

__all__ = ['VideoMAEv2PretrainedInit', 'load_videomaev2_weights']


def load_videomaev2_weights(module: nn.Module, checkpoint: str, strict: bool = False,
                            trusted: bool = False) -> tuple[list[str], list[str]]:
    """Load any VideoMAE V2 checkpoint into a backbone (has ``patch_embed``) or a model with a
    ``backbone`` (recognizer, :class:`VideoMAEv2`), converting its keys first.

    With ``strict=False`` keys the module lacks (a pre-training decoder for a classifier, the
    encoder ``norm`` for a mean-pooling model) and mis-shaped ones (a 710-way head for a
    400-way model) are skipped and logged.
    """
    sd = unwrap_state_dict(load_checkpoint_file(checkpoint, trusted=trusted))
    target = 'backbone' if hasattr(module, 'patch_embed') else 'recognizer'
    sd = convert_videomaev2(sd, target=target)
    if not strict:
        own = module.state_dict()
        skipped = [k for k, v in sd.items() if k not in own or own[k].shape != v.shape]
        sd = {k: v for k, v in sd.items() if k not in skipped}
        if skipped:
            print_log(f'{checkpoint}: skipped {len(skipped)} keys the model lacks or shapes '
                      f'differ: {skipped[:10]}', logger='current')
    missing, _ = load_state_dict_checked(module, sd, strict=strict, converter_hint='videomaev2')
    if missing:
        print_log(f'{checkpoint}: {len(missing)} model keys not in the checkpoint (kept as '
                  f'initialised): {missing[:10]}', logger='current')
    return missing, []


@WEIGHT_INITIALIZERS.register_module('VideoMAEv2Pretrained')
class VideoMAEv2PretrainedInit:
    """``init_cfg=dict(type='VideoMAEv2Pretrained', checkpoint=PATH)``: an official (or
    mmaction2 / mmvideofm) VideoMAE V2 file, converted while loading.

    Args:
        checkpoint: Local file.
        strict: Require every key to match.
        trusted: Allow arbitrary pickles (official pre-training files pickle
            ``argparse.Namespace``, which the safe loader already allows).
    """

    def __init__(self, checkpoint: str, strict: bool = False, trusted: bool = False,
                 **kwargs) -> None:
        self.checkpoint = checkpoint
        self.strict = strict
        self.trusted = trusted

    def __call__(self, module: nn.Module) -> None:
        with torch.no_grad():
            load_videomaev2_weights(module, self.checkpoint, self.strict, self.trusted)

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint}'
