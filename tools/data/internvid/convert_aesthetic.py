"""Convert a LAION aesthetic predictor file to the curation's ``LaionAestheticMLP`` keys.

    .venv/bin/python tools/data/internvid/convert_aesthetic.py sac+logos+ava1-l14-linearMSE.pth \
        checkpoints/aesthetic_mlp.pth

Reads with the safe loader (weights only), applies the registered converter
``internvid/laion_aesthetic`` (the MLP of improved-aesthetic-predictor or the older linear
predictor) and saves ``{'state_dict': ..., 'meta': ...}``; ``AestheticScore(mlp_weights=...)``
reads either file.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp

import torch

import mmvideofm  # noqa: F401  (compat shims)
from mmvideofm.checkpoint import get_converter, load_checkpoint_file, unwrap_state_dict
from mmvideofm.datasets.curation.scoring import LaionAestheticMLP


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('src', help='official predictor file (.pth)')
    p.add_argument('dst', help='converted output file')
    args = p.parse_args(argv)
    sd = get_converter('internvid/laion_aesthetic')(unwrap_state_dict(load_checkpoint_file(
        args.src)))
    variant = 'linear' if len(sd) == 2 else 'mlp'
    LaionAestheticMLP(sd['layers.0.weight'].shape[1], variant).load_state_dict(sd, strict=True)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(dict(state_dict=sd, meta=dict(converter='internvid/laion_aesthetic',
                                             variant=variant)), args.dst)
    print(f'converted {len(sd)} tensors ({variant}) -> {args.dst}')
    return args.dst


if __name__ == '__main__':
    main()
