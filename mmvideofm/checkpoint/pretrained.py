"""Load an official checkpoint into a module, converting its keys on the way.

Plugins supply the conversion (``fn(state_dict, module) -> state_dict``); the loading
policy, one for all plugins, lives here: keys the module lacks or whose shapes differ are
skipped and logged unless ``strict``, model keys the file does not provide are logged.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from mmengine.logging import print_log
from torch import nn

from .convert import load_state_dict_checked
from .io import load_checkpoint_file, unwrap_state_dict

__all__ = ['load_converted_weights', 'ConvertedPretrainedInit']

ConvertFn = Callable[[dict[str, torch.Tensor], nn.Module], dict[str, torch.Tensor]]


def load_converted_weights(module: nn.Module, checkpoint: str, convert: ConvertFn,
                           strict: bool = False, trusted: bool = False,
                           converter_hint: str | None = None) -> list[str]:
    """Convert ``checkpoint`` for ``module`` and load it; return the model keys not provided."""
    sd = convert(unwrap_state_dict(load_checkpoint_file(checkpoint, trusted=trusted)), module)
    if not strict:
        own = module.state_dict()
        skipped = [k for k, v in sd.items() if k not in own or own[k].shape != v.shape]
        sd = {k: v for k, v in sd.items() if k not in skipped}
        if skipped:
            print_log(f'{checkpoint}: skipped {len(skipped)} keys the model lacks or whose '
                      f'shapes differ: {skipped[:10]}', logger='current')
    missing, _ = load_state_dict_checked(module, sd, strict=strict, converter_hint=converter_hint)
    if missing:
        print_log(f'{checkpoint}: {len(missing)} model keys not in the checkpoint (kept as '
                  f'initialised): {missing[:10]}', logger='current')
    return missing


class ConvertedPretrainedInit:
    """Base of the ``init_cfg=dict(type='<Plugin>Pretrained', checkpoint=PATH)`` initializers.

    Subclasses implement :meth:`convert`; registration is per plugin.

    Args:
        checkpoint: Local file.
        strict: Require every key to match.
        trusted: Allow arbitrary pickles (``weights_only=False``).
    """

    converter_hint: str | None = None

    def __init__(self, checkpoint: str, strict: bool = False, trusted: bool = False,
                 **kwargs) -> None:
        self.checkpoint = checkpoint
        self.strict = strict
        self.trusted = trusted

    def convert(self, state_dict: dict[str, torch.Tensor],
                module: nn.Module) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def __call__(self, module: nn.Module) -> None:
        with torch.no_grad():
            load_converted_weights(module, self.checkpoint, self.convert, self.strict,
                                   self.trusted, self.converter_hint)

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint}'
