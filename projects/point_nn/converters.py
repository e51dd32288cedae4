"""Official Point-PN state dict (``EncP.*``, ``classifier.*``) -> ``PointPNClassifier``."""
from __future__ import annotations

import torch

from mmvideofm.checkpoint import register_converter, rename_keys

__all__ = ['convert_point_pn']

RULES = [(r'^EncP\.', 'backbone.'), (r'^classifier\.', 'head.classifier.')]


@register_converter('point_nn')
def convert_point_pn(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Prefix map only: the module layout inside keeps the official names."""
    if not any(k.startswith('EncP.') for k in state_dict):
        raise KeyError('not an official Point-PN state dict (no "EncP." keys); found e.g. '
                       f'{list(state_dict)[:3]}')
    return rename_keys(state_dict, RULES)
