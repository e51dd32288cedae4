"""WiSE-FT weight interpolation (official zero-shot scripts:
``wiseft05``, alpha 0.5 with the CLIP weights the model started from).

    .venv/bin/python -m projects.viclip.wise_ft VICLIP CLIP OUT [--alpha 0.5]
"""
from __future__ import annotations

import argparse

import torch

from mmvideofm.checkpoint import load_checkpoint_file, unwrap_state_dict

from .converter import clip_to_viclip, convert_viclip

__all__ = ['wise_ft', 'WISE_FT_EXCLUDE']

#: keys WiSE-FT keeps from ViCLIP: the temporal embedding has no CLIP counterpart
WISE_FT_EXCLUDE = ('vision_encoder.temporal_positional_embedding', 'temp')


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
