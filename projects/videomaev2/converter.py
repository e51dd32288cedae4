"""Official VideoMAE V2 checkpoints -> mmvideofm keys.

Every released layout is recognised by signature keys (as timm's ``checkpoint_filter_fn``):

===================  =============================================  ============================
source               signature                                      result
===================  =============================================  ============================
pre-training         ``encoder.patch_embed.proj.weight`` and        ``backbone.*`` + ``decoder.*``
(``*_pt_*.pth``)     ``decoder.*`` / ``encoder_to_decoder.weight``  (:class:`VideoMAEv2`)
fine-tuned /         ``patch_embed.proj.weight`` at the top         ``backbone.*`` +
distilled (bare,                                                    ``cls_head.fc_cls.*``
``model``/``module``                                                (``Recognizer3D``)
wrappers)
mmaction2            ``backbone.patch_embed.projection.weight``     as fine-tuned
pre-converted
mmvideofm            ``backbone.patch_embed.proj.weight``           unchanged
===================  =============================================  ============================

``model`` / ``module`` wrappers are removed by :func:`mmvideofm.checkpoint.unwrap_state_dict`
(``tools/convert_checkpoint.py`` does it) and also here; ``_orig_mod.`` (``torch.compile``)
prefixes are stripped. A UMT checkpoint (tubelet 1, ``clip_decoder`` / ``clip_teacher`` /
``vision_encoder`` keys) is refused with a message saying so.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Literal

import torch

from mmvideofm.checkpoint import register_converter, rename_keys, unwrap_state_dict

__all__ = ['convert_videomaev2', 'convert_k710_to_k400', 'detect_layout', 'load_label_map',
           'to_backbone_keys', 'K710_TO_K400_JSON']

# K400 class i is K710 class K710_TO_K400[i] (official misc/label_710to400.json, kept as data).
K710_TO_K400_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..',
                                 'configs', 'videomaev2', 'label_map_k710to400.json')

# mmaction2's VisionTransformer (backbones/vit_mae.py, mmcv bricks) -> official names.
_MMACTION_RULES = [
    (r'^backbone\.patch_embed\.projection\.', 'backbone.patch_embed.proj.'),
    (r'^(backbone\.blocks\.\d+)\.mlp\.layers\.0\.0\.', r'\1.mlp.fc1.'),
    (r'^(backbone\.blocks\.\d+)\.mlp\.layers\.1\.', r'\1.mlp.fc2.'),
]
# official pre-training model -> VideoMAEv2 algorithm (encoder = backbone; the decoder module
# owns encoder_to_decoder and mask_token).
_PRETRAIN_RULES = [
    (r'^encoder\.', 'backbone.'),
    (r'^encoder_to_decoder\.', 'decoder.encoder_to_decoder.'),
    (r'^mask_token$', 'decoder.mask_token'),
    (r'^decoder\.', 'decoder.'),
]
_FINETUNE_RULES = [
    (r'^head\.', 'cls_head.fc_cls.'),
    (r'^', 'backbone.'),
]

Layout = Literal['pretrain', 'finetune', 'mmaction2', 'mmvideofm']


def _looks_like_umt(sd: Mapping[str, torch.Tensor]) -> str | None:
    """A reason string if the keys are UMT's, else None."""
    umt_prefixes = ('clip_decoder.', 'encoder.clip_decoder', 'clip_teacher.', 'vision_encoder.',
                    'text_encoder.', 'clip_pos_embed', 'encoder.clip_pos_embed')
    hits = sorted({p for k in sd for p in umt_prefixes if k.startswith(p)})
    if hits:
        return f'it has UMT keys ({", ".join(hits)})'
    for key in ('patch_embed.proj.weight', 'encoder.patch_embed.proj.weight',
                'backbone.patch_embed.proj.weight', 'backbone.patch_embed.projection.weight'):
        w = sd.get(key)
        if w is not None and w.ndim == 5 and w.shape[2] == 1:
            return (f'{key} has a temporal kernel of 1 (UMT uses tubelet 1, VideoMAE V2 '
                    f'tubelet 2); shape {tuple(w.shape)}')
    return None


def detect_layout(sd: Mapping[str, torch.Tensor]) -> Layout:
    """Which released layout a (unwrapped) state dict has; raises for unknown / UMT files."""
    reason = _looks_like_umt(sd)
    if reason is not None:
        raise ValueError(f'this checkpoint looks like a UMT checkpoint, not VideoMAE V2: '
                         f'{reason}. Convert it with `tools/convert_checkpoint.py umt IN OUT`.')
    if 'encoder.patch_embed.proj.weight' in sd:
        return 'pretrain'
    if 'backbone.patch_embed.projection.weight' in sd:
        return 'mmaction2'
    if 'backbone.patch_embed.proj.weight' in sd:
        return 'mmvideofm'
    if 'patch_embed.proj.weight' in sd:
        return 'finetune'
    some = ', '.join(list(sd)[:8])
    raise ValueError(f'not a VideoMAE V2 checkpoint: no patch_embed.proj.weight under any known '
                     f'prefix (first keys: {some})')


def _strip_compile_prefix(sd: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {(k[len('_orig_mod.'):] if k.startswith('_orig_mod.') else k): v
            for k, v in sd.items()}


def to_backbone_keys(sd: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Recognizer keys -> bare :class:`VideoViT` keys (``backbone.`` dropped, head -> ``head``)."""
    out = {}
    for k, v in sd.items():
        if k.startswith('backbone.'):
            out[k[len('backbone.'):]] = v
        elif k.startswith('cls_head.fc_cls.'):
            out['head.' + k[len('cls_head.fc_cls.'):]] = v
    return out


@register_converter('videomaev2')
def convert_videomaev2(state_dict: Mapping[str, torch.Tensor],
                       target: Literal['recognizer', 'backbone'] = 'recognizer'
                       ) -> dict[str, torch.Tensor]:
    """Convert any released VideoMAE V2 state dict to mmvideofm keys.

    Args:
        state_dict: Official / mmaction2 / mmvideofm tensors (``model`` / ``module`` wrappers
            are accepted).
        target: ``'recognizer'`` gives ``backbone.*`` / ``cls_head.fc_cls.*`` (and
            ``decoder.*`` for pre-training files); ``'backbone'`` gives bare
            :class:`VideoViT` keys (official names; decoder dropped).
    """
    sd = _strip_compile_prefix(unwrap_state_dict(state_dict))
    layout = detect_layout(sd)
    if layout == 'pretrain':
        out = rename_keys(sd, _PRETRAIN_RULES)
    elif layout == 'finetune':
        out = rename_keys(sd, _FINETUNE_RULES)
    elif layout == 'mmaction2':
        out = rename_keys(sd, _MMACTION_RULES)
    else:
        out = dict(sd)
    # mmaction2 stores the fixed sinusoid as a persistent buffer; ours is rebuilt from the
    # grid (and official fine-tunes never store it), so only a learnable table is kept.
    if layout == 'mmaction2':
        out.pop('backbone.pos_embed', None)
    if target == 'backbone':
        return to_backbone_keys(out)
    if target != 'recognizer':
        raise ValueError(f"target must be 'recognizer' or 'backbone', got {target!r}")
    return out


def load_label_map(path: str | os.PathLike = K710_TO_K400_JSON) -> list[int]:
    """A list ``m`` with ``m[i]`` = K710 index of target class ``i`` (official json format)."""
    with open(path) as f:
        label_map = json.load(f)
    if not isinstance(label_map, list) or not all(isinstance(i, int) for i in label_map):
        raise ValueError(f'{path}: expected a JSON list of ints')
    return label_map


def convert_k710_to_k400(state_dict: Mapping[str, torch.Tensor],
                         label_map: Sequence[int] | str | os.PathLike | None = None
                         ) -> dict[str, torch.Tensor]:
    """Convert, then keep the K710 head rows of the K400 classes in K400 order.

    This is what the official fine-tuning does when a 710-way head meets a Kinetics-400 run
    (``misc/label_710to400.json``); mmvideofm ships the map as
    ``configs/videomaev2/label_map_k710to400.json``.
    """
    if label_map is None or isinstance(label_map, (str, os.PathLike)):
        label_map = load_label_map(label_map or K710_TO_K400_JSON)
    out = convert_videomaev2(state_dict)
    index = torch.as_tensor(list(label_map), dtype=torch.long)
    for name in ('cls_head.fc_cls.weight', 'cls_head.fc_cls.bias'):
        if name not in out:
            raise ValueError(f'no {name} in this checkpoint: the K710->K400 head mapping needs '
                             f'a K710 classifier (a fine-tuned or distilled file)')
        if out[name].shape[0] != 710:
            raise ValueError(f'{name} has {out[name].shape[0]} classes; the K710->K400 mapping '
                             f'needs 710')
        out[name] = out[name][index].clone()
    return out


register_converter('videomaev2/k710to400')(convert_k710_to_k400)
