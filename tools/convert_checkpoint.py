"""Convert an official checkpoint to mmvideofm keys.

    python tools/convert_checkpoint.py <plugin> IN OUT [--trusted]

The plugin's converter detects the source layout (bare dict, ``model``/``module``
wrappers, pretrain or fine-tuned files) from its keys.
"""
import argparse
import os

import torch

import mmvideofm  # noqa: F401  (applies compat shims)
from mmvideofm.checkpoint import get_converter, load_checkpoint_file, unwrap_state_dict


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('plugin', help='converter name, e.g. umt, videomaev2, point_nn')
    parser.add_argument('src', help='official checkpoint file')
    parser.add_argument('dst', help='output file (a state_dict under "state_dict")')
    parser.add_argument('--trusted', action='store_true',
                        help='allow arbitrary pickled objects (runs code from the file)')
    args = parser.parse_args(argv)
    converter = get_converter(args.plugin)
    ckpt = load_checkpoint_file(args.src, trusted=args.trusted)
    state_dict = converter(unwrap_state_dict(ckpt))
    os.makedirs(os.path.dirname(os.path.abspath(args.dst)), exist_ok=True)
    torch.save({'state_dict': state_dict, 'meta': {'converted_from': os.path.basename(args.src),
                                                   'converter': args.plugin}}, args.dst)
    print(f'converted {len(state_dict)} tensors with {args.plugin!r} -> {args.dst}')


if __name__ == '__main__':
    main()
