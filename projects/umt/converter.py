"""Official UMT checkpoints -> mmvideofm keys (``tools/convert_checkpoint.py umt IN OUT``).

Every released layout is recognised by its signature keys (as timm's ``checkpoint_filter_fn``):

========================  ===========================================  ===========================
source                    signature                                    mapped to
========================  ===========================================  ===========================
fine-tuned (bare dict)    ``blocks.0.attn.q_bias``, ``head.weight``    ``backbone.*``,
                                                                       ``head`` -> ``cls_head.fc_cls``
stage 1 (pretrain)        ``encoder.blocks.*``, ``clip_decoder.*``     ``backbone.*``, ``clip_decoder.*``
stage 2 (video-text)      ``vision_encoder.*``, ``text_encoder.*``     ``backbone.*``, ``clip_decoder.*``,
                                                                       ``pool_norm``, ``teacher.*``, text
                                                                       keys unchanged
mmaction2 ``projects/umt``  ``backbone.patch_embed.proj``, ``cls_head``  unchanged
CLIP visual (teacher)     ``class_embedding`` / ``visual.*``           ``teacher.*``
========================  ===========================================  ===========================

``model`` / ``module`` wrappers are removed by :func:`mmvideofm.checkpoint.unwrap_state_dict`
before this runs (the tool does it). A VideoMAE V2 (or VideoMAE) checkpoint, recognised by its
decoder keys or its tubelet-2 patch embedding, is refused with a message saying so.
"""
from __future__ import annotations

import torch

from mmvideofm.checkpoint import register_converter, rename_keys

__all__ = ['convert_umt', 'detect_umt_layout', 'NotUMTCheckpointError']


class NotUMTCheckpointError(ValueError):
    """The state dict is not a UMT checkpoint (e.g. VideoMAE V2)."""


def _has(sd: dict, *prefixes: str) -> bool:
    return any(k.startswith(prefixes) for k in sd)


def _patch_kernel_t(sd: dict) -> int | None:
    for key in ('patch_embed.proj.weight', 'encoder.patch_embed.proj.weight',
                'backbone.patch_embed.proj.weight', 'vision_encoder.encoder.patch_embed.proj.weight'):
        if key in sd and sd[key].ndim == 5:
            return int(sd[key].shape[2])
    return None


def detect_umt_layout(sd: dict[str, torch.Tensor]) -> str:
    """Name the layout of a state dict: ``finetune``, ``stage1``, ``stage2``, ``mmaction2``,
    ``ours``, ``clip``; raise :class:`NotUMTCheckpointError` for anything else."""
    if _has(sd, 'decoder.', 'encoder_to_decoder.') or 'mask_token' in sd:
        raise NotUMTCheckpointError(
            'this looks like a VideoMAE V2 / VideoMAE pretraining checkpoint (decoder, '
            'encoder_to_decoder or mask_token keys); convert it with '
            '`tools/convert_checkpoint.py videomaev2 IN OUT`')
    if _has(sd, 'backbone.patch_embed.projection', 'backbone.blocks.0.mlp.layers'):
        raise NotUMTCheckpointError(
            "this looks like mmaction2's VideoMAE V2 conversion (mmcv names "
            '`patch_embed.projection`, `mlp.layers`); use the videomaev2 converter')
    kt = _patch_kernel_t(sd)
    if kt is not None and kt != 1:
        raise NotUMTCheckpointError(
            f'the patch embedding has a temporal kernel of {kt}: this looks like a VideoMAE V2 '
            f'(or VideoMAE) checkpoint (tubelet {kt}); UMT uses tubelet 1. Use '
            f'`tools/convert_checkpoint.py videomaev2 IN OUT`')
    if _has(sd, 'vision_encoder.', 'text_encoder.'):
        return 'stage2'
    if _has(sd, 'encoder.') and not _has(sd, 'backbone.'):
        return 'stage1'
    if _has(sd, 'backbone.'):
        if _has(sd, 'cls_head.') and not _has(sd, 'clip_decoder.', 'teacher.', 'text_encoder.'):
            return 'mmaction2'
        return 'ours'
    if _has(sd, 'blocks.') and 'patch_embed.proj.weight' in sd:
        return 'finetune'
    if 'class_embedding' in sd or 'visual.class_embedding' in sd or _has(sd, 'clip_teacher.'):
        return 'clip'
    raise NotUMTCheckpointError(
        f'unrecognised checkpoint layout for UMT (first keys: {list(sd)[:8]}); expected an '
        f'official UMT fine-tuned / stage-1 / stage-2 file, a CLIP visual tower, or an '
        f'mmaction2 projects/umt file')


def _clip_to_teacher(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = rename_keys(sd, [(r'^clip_teacher\.', 'teacher.'), (r'^visual\.', 'teacher.'),
                           (r'^(?!teacher\.)', 'teacher.')])
    key = 'teacher.conv1.weight'
    if key in out and out[key].ndim == 5 and out[key].shape[2] == 1:
        out[key] = out[key][:, :, 0]  # UMT's Conv3d (kernel 1) -> OpenAI Conv2d
    return out


@register_converter('umt')
def convert_umt(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map any released UMT state dict to mmvideofm keys (see the module docstring)."""
    sd = dict(state_dict)
    layout = detect_umt_layout(sd)
    if layout in ('mmaction2', 'ours'):
        return sd
    if layout == 'clip':
        if 'visual.class_embedding' in sd:  # a whole CLIP model: keep the visual tower
            sd = {k: v for k, v in sd.items() if k.startswith('visual.')}
        return _clip_to_teacher(sd)
    if layout == 'finetune':
        return rename_keys(sd, [(r'^head\.', 'cls_head.fc_cls.'), (r'^', 'backbone.')])
    if layout == 'stage1':
        return rename_keys(sd, [(r'^encoder\.', 'backbone.'),
                                (r'^backbone\.', 'backbone.')])
    # stage 2
    teacher = {k: v for k, v in sd.items() if k.startswith('clip_teacher.')}
    rest = {k: v for k, v in sd.items() if not k.startswith('clip_teacher.')}
    out = rename_keys(rest, [(r'^vision_encoder\.encoder\.', 'backbone.'),
                             (r'^vision_encoder\.clip_decoder\.', 'clip_decoder.'),
                             (r'^vision_encoder\.pool_norm\.', 'pool_norm.'),
                             (r'^vision_encoder\.', 'vision_encoder.')])
    if teacher:
        out.update(_clip_to_teacher(teacher))
    # transformers >= 4.31 keeps position_ids as a non-persistent buffer; the decoder bias of
    # the MLM head is the (tied) ``cls.predictions.bias``
    out = {k: v for k, v in out.items() if not k.endswith('embeddings.position_ids')}
    bias = 'text_encoder.cls.predictions.bias'
    if bias in out and 'text_encoder.cls.predictions.decoder.bias' not in out:
        out['text_encoder.cls.predictions.decoder.bias'] = out[bias]
    return out


def convert_k710_to_k400(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Convert a K710 fine-tuned file for Kinetics-400 fine-tuning as the official
    ``run_class_finetuning.py`` does: keep the first 400 rows of the 710-way head (UMT's K710
    label order starts with the K400 classes; VideoMAE V2 uses a label map instead)."""
    out = convert_umt(state_dict)
    for name in ('cls_head.fc_cls.weight', 'cls_head.fc_cls.bias'):
        if name not in out:
            raise ValueError(f'no {name} in this checkpoint: the K710->K400 head slice needs a '
                             f'K710 fine-tuned UMT file (*_ftk710_*.pth)')
        if out[name].shape[0] != 710:
            raise ValueError(f'{name} has {out[name].shape[0]} classes; the K710->K400 head '
                             f'slice needs 710')
        out[name] = out[name][:400].clone()
    return out


register_converter('umt/k710to400')(convert_k710_to_k400)
