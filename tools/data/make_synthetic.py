"""Export the synthetic video world to mp4 (or frame folders) + mmaction2 list files.

    python tools/data/make_synthetic.py --out data/synthetic --task direction \
        --num-train 2000 --num-val 400 --num-test 400 --frames 16 --size 32 --workers 2

Writes ``{train,val,test}.txt`` (``path label``), ``{split}.json`` (full ground
truth per clip), ``classes.txt`` and ``meta.json`` under ``--out``; see
``mmvideofm/datasets/synthetic/export.py`` for the layout.
"""
from __future__ import annotations

import argparse
import time

from mmvideofm.datasets.synthetic import TASKS, WorldConfig
from mmvideofm.datasets.synthetic.export import export_dataset


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', default='data/synthetic', help='output folder')
    p.add_argument('--task', default='direction', choices=sorted(TASKS),
                   help='task whose label goes into the list files')
    p.add_argument('--num-train', type=int, default=2000)
    p.add_argument('--num-val', type=int, default=400)
    p.add_argument('--num-test', type=int, default=400)
    p.add_argument('--frames', type=int, default=16, help='frames per clip')
    p.add_argument('--size', type=int, default=32, help='frame height = width')
    p.add_argument('--max-objects', type=int, default=3)
    p.add_argument('--fps', type=float, default=8.0)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--workers', type=int, default=0, help='processes (0: in this process)')
    p.add_argument('--format', default='mp4', choices=['mp4', 'frames'],
                   help='mp4 files or JPEG/PNG frame folders')
    p.add_argument('--frame-ext', default='jpg', choices=['jpg', 'png'])
    p.add_argument('--codec', default='auto',
                   help="mp4 encoder: auto (lossless libx264rgb if available), libx264, mpeg4")
    p.add_argument('--no-progress', action='store_true')
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    cfg = WorldConfig(num_frames=args.frames, size=args.size, max_objects=args.max_objects,
                      fps=args.fps)
    t0 = time.perf_counter()
    meta = export_dataset(args.out, task=args.task, num_train=args.num_train,
                          num_val=args.num_val, num_test=args.num_test, config=cfg,
                          seed=args.seed, workers=args.workers, fmt=args.format,
                          frame_ext=args.frame_ext, codec=args.codec,
                          progress=not args.no_progress)
    n = args.num_train + args.num_val + args.num_test
    dt = time.perf_counter() - t0
    print(f'wrote {n} clips ({args.task}, {args.format}) to {args.out} in {dt:.1f} s '
          f'({n / max(dt, 1e-9):.0f} clips/s)')
    return meta


if __name__ == '__main__':
    main()
