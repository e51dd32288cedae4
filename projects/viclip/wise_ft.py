"""CLIP -> ViCLIP initialisation and WiSE-FT weight interpolation (official zero-shot scripts:
``wiseft05``, alpha 0.5 with the CLIP weights the model started from).

    .venv/bin/python -m projects.viclip.wise_ft VICLIP CLIP OUT [--alpha 0.5]
"""
from __future__ import annotations

import argparse

import torch

from mmvideofm.checkpoint import load_checkpoint_file, register_converter, unwrap_state_dict

from .converter import convert_viclip

__all__ = ['clip_to_viclip', 'wise_ft', 'WISE_FT_EXCLUDE']

#: keys WiSE-FT keeps from ViCLIP: the temporal embedding has no CLIP counterpart
WISE_FT_EXCLUDE = ('vision_encoder.temporal_positional_embedding', 'temp')


@register_converter('viclip/from_clip')
def clip_to_viclip(state_dict: dict[str, torch.Tensor], context_length: int = 32
                   ) -> dict[str, torch.Tensor]:
    """An OpenAI / open_clip CLIP state dict -> ViCLIP keys: ``visual.*`` ->
    ``vision_encoder.*`` (``conv1`` gets a temporal axis of 1), the text keys ->
    ``text_encoder.*`` with the first ``context_length`` positions (official
    ``clip_text_*``), ``logit_scale`` dropped (ViCLIP's ``temp`` starts at 1/100). The
    temporal embedding is left to the model (zero-initialised)."""
    if not any(k.startswith('visual.') for k in state_dict):
        raise ValueError('not an OpenAI / open_clip CLIP state dict (no visual.* keys); a '
                         'ViCLIP checkpoint converts with the viclip converter')
    out = {}
    for key, value in state_dict.items():
        if key in ('logit_scale', 'logit_bias', 'input_resolution', 'context_length',
                   'vocab_size'):
            continue
        if key.startswith('visual.'):
            name = 'vision_encoder.' + key[len('visual.'):]
            if name == 'vision_encoder.conv1.weight' and value.ndim == 4:
                value = value.unsqueeze(2)
        else:
            name = 'text_encoder.' + key
            if key == 'positional_embedding':
                value = value[:context_length]
        out[name] = value
    return out


def wise_ft(viclip: dict[str, torch.Tensor], clip: dict[str, torch.Tensor],
            alpha: float = 0.5, exclude: tuple[str, ...] = WISE_FT_EXCLUDE
            ) -> dict[str, torch.Tensor]:
    """``alpha * viclip + (1 - alpha) * clip`` for every shared key of equal shape (CLIP keys
    given in either layout); ``exclude`` and ViCLIP-only keys keep the ViCLIP values."""
    if not 0. <= alpha <= 1.:
        raise ValueError(f'alpha must be in [0, 1], got {alpha}')
    if any(k.startswith('visual.') for k in clip):
        clip = clip_to_viclip(clip)
    shared = [k for k, v in viclip.items() if k not in exclude and k in clip
              and clip[k].shape == v.shape and v.is_floating_point()]
    if not shared:
        raise ValueError('no ViCLIP key has a CLIP counterpart of the same shape: are both '
                         'files the same size (B/16 with ViT-B/16, L/14 with ViT-L/14)?')
    out = dict(viclip)
    for k in shared:
        out[k] = (alpha * viclip[k].float() + (1 - alpha) * clip[k].float()).to(viclip[k].dtype)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('viclip', help='ViCLIP checkpoint (official or converted)')
    parser.add_argument('clip', help='the CLIP checkpoint it was initialised from')
    parser.add_argument('out', help='output file (state_dict)')
    parser.add_argument('--alpha', type=float, default=0.5, help='weight of ViCLIP')
    args = parser.parse_args(argv)
    viclip = convert_viclip(unwrap_state_dict(load_checkpoint_file(args.viclip)))
    clip = unwrap_state_dict(load_checkpoint_file(args.clip))
    torch.save({'state_dict': wise_ft(viclip, clip, args.alpha)}, args.out)
    print(f'WiSE-FT (alpha {args.alpha}) -> {args.out}')


if __name__ == '__main__':
    main()
