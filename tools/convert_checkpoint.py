"""Convert an official checkpoint to mmvideofm keys.

    .venv/bin/python tools/convert_checkpoint.py <converter> IN OUT [--trusted]
    .venv/bin/python tools/convert_checkpoint.py --list

Every plugin under ``projects/`` is imported, so each one's converters (``<plugin>`` or
``<plugin>/<variant>``) can be named, listed and suggested. A converter detects the source
layout (bare dict, ``model``/``module`` wrappers, pretrain or fine-tuned files) from its keys.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

import torch  # noqa: E402

import mmvideofm  # noqa: E402,F401  (applies compat shims)
from mmvideofm.checkpoint import (  # noqa: E402
    CONVERTERS,
    get_converter,
    load_checkpoint_file,
    unwrap_state_dict,
)
from projects import import_plugins  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('plugin', nargs='?', help='converter name, e.g. umt, umt/k710to400, '
                                                  'videomaev2, point_nn (see --list)')
    parser.add_argument('src', nargs='?', help='official checkpoint file')
    parser.add_argument('dst', nargs='?', help='output file (a state_dict under "state_dict")')
    parser.add_argument('--list', action='store_true', help='list the registered converters')
    parser.add_argument('--trusted', action='store_true',
                        help='allow arbitrary pickled objects (runs code from the file)')
    args = parser.parse_args(argv)
    import_plugins()
    if args.list:
        print('\n'.join(sorted(CONVERTERS.module_dict)))
        return 0
    if not (args.plugin and args.src and args.dst):
        parser.error('give CONVERTER IN OUT (or --list)')
    try:
        converter = get_converter(args.plugin)
    except KeyError as err:
        raise SystemExit(f'convert_checkpoint: {err.args[0]}') from None
    try:  # memory-mapped where the file allows it (multi-GB files such as seine.pt)
        ckpt = load_checkpoint_file(args.src, trusted=args.trusted, mmap=True)
    except RuntimeError as err:
        if 'mmap' not in str(err):
            raise
        ckpt = load_checkpoint_file(args.src, trusted=args.trusted)  # legacy (non-zip) file
    state_dict = converter(unwrap_state_dict(ckpt))
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save({'state_dict': state_dict, 'meta': {'converted_from': osp.basename(args.src),
                                                   'converter': args.plugin}}, args.dst)
    print(f'converted {len(state_dict)} tensors with {args.plugin!r} -> {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
