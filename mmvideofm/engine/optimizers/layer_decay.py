"""Layer-wise learning-rate decay for any model whose backbone has ``get_layer_depth``.

mmaction2's ``LearningRateDecayOptimizerConstructor`` only accepts class names containing
``MViT`` / ``VisionTransformer``; mmpretrain's needs ``get_layer_depth`` on the module it
walks. This one asks the model (or its ``backbone``) once and reproduces the official
VideoMAE / UMT optimizer factory: ``lr = base_lr * rate ** (num_layers - 1 - layer_id)``,
no weight decay for 1-D parameters, biases and the backbone's ``no_weight_decay()`` names.
"""
from collections.abc import Callable

from mmengine.logging import print_log
from torch import nn

from mmvideofm.registry import OPTIM_WRAPPER_CONSTRUCTORS

from .trainable import TrainableOptimWrapperConstructor


def _find_depth_fn(model: nn.Module, prefix: str | None
                   ) -> tuple[Callable[[str], tuple[int, int]], set[str]]:
    """``name -> (layer_id, num_layers)`` and the full no-weight-decay names of the model."""
    if prefix is None:
        if hasattr(model, 'get_layer_depth'):
            prefix = ''
        elif hasattr(getattr(model, 'backbone', None), 'get_layer_depth'):
            prefix = 'backbone.'
        else:  # e.g. a distiller's student.backbone (its frozen teacher is not trained)
            prefix = next((name + '.' for name, m in model.named_modules()
                           if name and hasattr(m, 'get_layer_depth')
                           and any(p.requires_grad for p in m.parameters())), None)
        if prefix is None:
            raise NotImplementedError(
                f'Layer-wise lr decay needs get_layer_depth() on a trainable module; '
                f'{type(model).__name__} has none (VideoViT provides it); or set '
                f'paramwise_cfg.backbone_prefix.')
    owner = model
    for part in filter(None, prefix.rstrip('.').split('.')):
        owner = getattr(owner, part)
    if not hasattr(owner, 'get_layer_depth'):
        raise NotImplementedError(f'{type(owner).__name__} (at {prefix!r}) has no '
                                  f'get_layer_depth()')
    no_wd = set()
    if hasattr(owner, 'no_weight_decay'):
        no_wd = {prefix + name for name in owner.no_weight_decay()}

    def depth_fn(name: str) -> tuple[int, int]:
        return owner.get_layer_depth(name, prefix=prefix)

    return depth_fn, no_wd


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(TrainableOptimWrapperConstructor):
    """Layer-wise lr decay + official no-weight-decay rules, as one param group per
    (layer, decay / no-decay).

    ``paramwise_cfg`` keys:

    - ``layer_decay_rate`` (float, default 1.0): lr of layer ``i`` is multiplied by
      ``rate ** (num_layers - 1 - i)``; the head / anything outside the backbone gets 1.
    - ``backbone_prefix`` (str, optional): where ``get_layer_depth`` lives; by default the
      model itself, else ``backbone.``, else the first trainable submodule that has it
      (``student.backbone.`` of a distiller).
    - ``custom_keys`` (dict, optional): ``{substring: dict(lr_mult=..., decay_mult=...)}``
      applied on top (longest matching key wins).

    Example::

        optim_wrapper = dict(
            optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05, betas=(0.9, 0.999)),
            constructor='LayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=0.75))
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
        # the base class skips add_params when paramwise_cfg is empty: keep it non-empty
        super().__init__(optim_wrapper_cfg, paramwise_cfg or dict(layer_decay_rate=1.0))

    def add_params(self, params: list[dict], module: nn.Module, prefix: str = '',
                   **kwargs) -> None:
        cfg = dict(self.paramwise_cfg)
        rate = float(cfg.get('layer_decay_rate', 1.0))
        custom_keys = cfg.get('custom_keys', {})
        sorted_keys = sorted(sorted(custom_keys), key=len, reverse=True)
        depth_fn, no_wd_names = _find_depth_fn(module, cfg.get('backbone_prefix'))
        base_wd = self.base_wd or 0.

        groups: dict[str, dict] = {}
        for name, param in module.named_parameters(prefix=prefix.rstrip('.')):
            if not param.requires_grad:
                continue  # frozen (a teacher, UMT's resampled sinusoid table): not optimised
            no_decay = (param.ndim == 1 or name.endswith('.bias') or name in no_wd_names)
            layer_id, num_layers = depth_fn(name)
            scale = rate**(num_layers - 1 - layer_id)
            lr_mult, decay_mult = 1., 1.
            key = next((k for k in sorted_keys if k in name), None)
            if key is not None:
                lr_mult = custom_keys[key].get('lr_mult', 1.)
                decay_mult = custom_keys[key].get('decay_mult', 1.)
            group_name = f'layer_{layer_id}_{"no_decay" if no_decay else "decay"}'
            if key is not None:
                group_name += f'_{key}'
            if group_name not in groups:
                groups[group_name] = dict(
                    params=[], param_names=[], group_name=group_name, layer_id=layer_id,
                    lr_scale=scale, lr=self.base_lr * scale * lr_mult,
                    weight_decay=0. if no_decay else base_wd * decay_mult)
            groups[group_name]['params'].append(param)
            groups[group_name]['param_names'].append(name)
        params.extend(groups.values())
        lines = [f'{g["group_name"]}: lr_scale={g["lr_scale"]:.4g} wd={g["weight_decay"]:.3g} '
                 f'({len(g["params"])} params)' for g in groups.values()]
        print_log(f'LayerDecayOptimWrapperConstructor (rate {rate:.3g}):\n  '
                  + '\n  '.join(lines), logger='current')
