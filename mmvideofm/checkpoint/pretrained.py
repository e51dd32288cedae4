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

__all__ = ['load_converted_weights', 'ConvertedPretrainedInit', 'check_load_from',
           'matching_converters', 'converter_hint', 'MIN_LOADED_FRACTION']

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


# ------------------------------------------------------------------- load_from policy
#: Below this share of the model's parameters found in a ``load_from`` checkpoint, the
#: file is taken for another model's (or an unconverted official one) and refused.
MIN_LOADED_FRACTION = 0.1


def _suffix_shapes(own: dict[str, torch.Tensor]) -> dict[str, set]:
    """Every dotted suffix of the model's keys (``backbone.blocks.0.x`` -> ``blocks.0.x``,
    ...) with the shapes it has, so a converted backbone-level file matches a full model."""
    out: dict[str, set] = {}
    for key, value in own.items():
        parts = key.split('.')
        for i in range(len(parts)):
            out.setdefault('.'.join(parts[i:]), set()).add(tuple(value.shape))
    return out


def matching_converters(state_dict: dict[str, torch.Tensor], model: nn.Module,
                        min_fraction: float = 0.5) -> list[tuple[str, float]]:
    """Registered converters whose output fits ``model``: ``[(name, fraction of the converted
    keys found in the model, up to a prefix, with their shape)]``, best first."""
    from mmvideofm.registry import CONVERTERS
    suffixes = _suffix_shapes(getattr(model, 'module', model).state_dict())
    found = []
    for name, fn in sorted(CONVERTERS.module_dict.items()):
        try:
            converted = fn(dict(state_dict))
        except Exception:  # noqa: BLE001 - a converter for other keys fails on these
            continue
        if not isinstance(converted, dict) or not converted:
            continue
        hits = sum(1 for k, v in converted.items() if isinstance(v, torch.Tensor)
                   and tuple(v.shape) in suffixes.get(k, ()))
        if hits / len(converted) >= min_fraction:
            found.append((name, hits / len(converted)))
    return sorted(found, key=lambda item: -item[1])


def converter_hint(state_dict: dict[str, torch.Tensor], model: nn.Module) -> str:
    """One sentence naming the converter(s) the file's keys match, or how to find one."""
    found = matching_converters(state_dict, model)
    if not found:
        return ('no registered converter maps its keys onto this model (see '
                'tools/convert_checkpoint.py --list)')
    names = ', '.join(f'{n!r} ({f:.0%} of its keys)' for n, f in found[:3])
    return (f'its keys match converter {names}: .venv/bin/python tools/convert_checkpoint.py '
            f'{found[0][0]} IN OUT, then load OUT')


def check_load_from(model: nn.Module, checkpoint: str, allow_mismatch: bool = False,
                    min_fraction: float = MIN_LOADED_FRACTION, hint=converter_hint) -> str:
    """Decide, before training, what ``load_from`` will load; return the policy line.

    mmengine loads ``load_from`` with ``strict=False`` and only logs what is missing, so a
    wrong file means training from scratch. Policies: ``exact`` (every key fits),
    ``fine-tune`` (at least ``min_fraction`` of the model's parameters load, e.g. a
    pretrained backbone under a new head: counts of what is missing / unused / mis-shaped
    are reported) and ``refuse`` (less: :class:`StateDictMismatchError` naming the converter
    the keys match), unless ``allow_mismatch``.
    """
    from .convert import StateDictMismatchError
    model = getattr(model, 'module', model)
    state_dict = unwrap_state_dict(load_checkpoint_file(checkpoint))
    own = model.state_dict()  # leaves out what the model does not save (e.g. a teacher)
    optional = tuple(getattr(model, 'optional_state_prefixes', ()))  # ... or may lack
    own = {k: v for k, v in own.items() if not k.startswith(optional)
           or k in state_dict}
    fits = {k for k, v in state_dict.items() if k in own
            and (own[k].numel() == 0 or own[k].shape == v.shape)}
    missing = [k for k in own if k not in fits]
    unexpected = [k for k in state_dict if k not in own]
    mis_shaped = [k for k in state_dict if k in own and k not in fits]
    total = sum(v.numel() for v in own.values()) or 1
    fraction = sum(own[k].numel() for k in fits) / total
    counts = (f'{len(fits)}/{len(own)} model tensors ({fraction:.1%} of the values) found; '
              f'{len(missing)} missing, kept as initialised{_head(missing)}; '
              f'{len(unexpected)} checkpoint keys unused{_head(unexpected)}; '
              f'{len(mis_shaped)} with another shape{_head(mis_shaped)}')
    if not missing and not unexpected:
        return f'load_from {checkpoint}: policy "exact": every key fits'
    if fraction >= min_fraction:
        return (f'load_from {checkpoint}: policy "fine-tune" (partial load, as from a '
                f'pretrained backbone): {counts}')
    message = (f'load_from {checkpoint}: policy "refuse": almost nothing fits '
               f'{type(model).__name__} ({counts}), so training would start from scratch. '
               f'It looks like another model\'s checkpoint or an unconverted official one; '
               f'{hint(state_dict, model)}. To train anyway, pass --allow-mismatched-load')
    if not allow_mismatch:
        raise StateDictMismatchError(message)
    return message.replace('policy "refuse"', 'policy "refuse" overridden by '
                           '--allow-mismatched-load').rsplit('. To train anyway', 1)[0]


def _head(keys: list[str], n: int = 5) -> str:
    return f' ({", ".join(keys[:n])}{", ..." if len(keys) > n else ""})' if keys else ''
