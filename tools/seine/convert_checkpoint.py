"""Convert seine.pt (or an SD-1.4 / LaVie UNet) to SEINEUNet keys, memory-mapped.

    .venv/bin/python tools/seine/convert_checkpoint.py seine.pt work_dirs/seine_unet.pth
    .venv/bin/python tools/seine/convert_checkpoint.py --source sd14 \
        SD14/unet/diffusion_pytorch_model.bin work_dirs/seine_init_sd14.pth

``seine.pt`` keeps its weights under ``ema`` (the project's generic
``tools/convert_checkpoint.py`` does not look there); the file is read with ``mmap=True`` and
the safe unpickler, so 3.6 GB need not fit in RAM. Output: ``{'state_dict': ...}``.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('src')
    p.add_argument('dst')
    p.add_argument('--source', choices=('seine', 'sd14', 'lavie'), default='seine')
    args = p.parse_args(argv)
    import torch

    from mmvideofm.checkpoint import get_converter
    from projects.seine.converter import load_seine_checkpoint
    from projects.seine.init import SOURCES
    sd = get_converter(SOURCES[args.source])(load_seine_checkpoint(args.src))
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save({'state_dict': sd, 'meta': {'converted_from': osp.basename(args.src),
                                           'converter': SOURCES[args.source]}}, args.dst)
    print(f'converted {len(sd)} tensors -> {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
