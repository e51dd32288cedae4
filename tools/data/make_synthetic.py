"""Export the synthetic video world to mp4 (or frame folders) + mmaction2 list files.

    .venv/bin/python tools/data/make_synthetic.py --out data/synthetic --task direction \
        --num-train 2000 --num-val 400 --num-test 400 --frames 16 --size 32 --workers 2

Writes ``{train,val,test}.txt`` (``path label``), ``{split}.json`` (full ground
truth per clip), ``classes.txt`` and ``meta.json`` under ``--out``; see
``mmvideofm/datasets/synthetic/export.py`` for the layout. A folder that already
holds an export is refused (its list files would be overwritten and clips beyond
the new split sizes left behind); ``--overwrite`` deletes that export first (only
the files and split folders the exporter writes; anything else is kept).
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import shutil
import time

from mmvideofm.datasets.synthetic import TASKS, WorldConfig
from mmvideofm.datasets.synthetic.export import export_dataset

SPLITS = ('train', 'val', 'test')
EXPORT_FILES = ('classes.txt', 'meta.json', *(f'{s}.{e}' for s in SPLITS for e in ('txt', 'json')))


def previous_export(out: str) -> list[str]:
    """Names under ``out`` that an earlier export wrote (list files, meta, split folders)."""
    if not osp.isdir(out):
        return []
    return [n for n in (*EXPORT_FILES, *SPLITS) if osp.lexists(osp.join(out, n))]


def remove_export(out: str, names: list[str]) -> None:
    """Delete the export files / split folders ``names`` under ``out``."""
    for n in names:
        path = osp.join(out, n)
        if osp.isdir(path) and not osp.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)


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
    p.add_argument('--format', default='mp4', choices=['mp4', 'frames', 'instruction'],
                   help='mp4 files or JPEG/PNG frame folders; instruction: clips of every task '
                   '(--num-* per task) + video-LLM annotations in the VideoChat2 formats '
                   '(mmvideofm/datasets/synthetic/instruction.py)')
    p.add_argument('--frame-ext', default='jpg', choices=['jpg', 'png'])
    p.add_argument('--codec', default='auto',
                   help="mp4 encoder: auto (lossless libx264rgb if available), libx264, mpeg4")
    p.add_argument('--overwrite', action='store_true',
                   help='delete an earlier export in --out (list files, meta, split folders) first')
    p.add_argument('--no-progress', action='store_true')
    p.add_argument('--long-videos', type=int, default=0,
                   help='instead of clips, export this many long videos (synthetic clips joined '
                   'by hard cuts) for the InternVid curation pipeline '
                   '(mmvideofm/datasets/synthetic/long_video.py)')
    return p.parse_args(argv)


def export_long(args: argparse.Namespace) -> dict:
    """``--long-videos N``: ``out/videos/*.mp4`` + ``out/long_videos.json``."""
    from mmvideofm.datasets.synthetic.long_video import export_long_videos
    cfg = WorldConfig(size=args.size, max_objects=args.max_objects, fps=args.fps)
    t0 = time.perf_counter()
    meta = export_long_videos(args.out, args.long_videos, cfg, seed=args.seed, codec=args.codec)
    print(f'wrote {args.long_videos} long videos to {args.out} in '
          f'{time.perf_counter() - t0:.1f} s')
    return meta


def export_instruction(args: argparse.Namespace) -> dict:
    """``--format instruction``: ``out/videos/<task>/...`` + ``out/{caption,it_*}_<split>.json``."""
    from mmvideofm.datasets.synthetic.instruction import export_instruction_data
    cfg = WorldConfig(num_frames=args.frames, size=args.size, max_objects=args.max_objects,
                      fps=args.fps)
    t0 = time.perf_counter()
    meta = export_instruction_data(args.out, args.num_train, args.num_val, args.num_test, config=cfg,
                                   seed=args.seed, workers=args.workers, codec=args.codec,
                                   progress=not args.no_progress)
    print(f'wrote {sum(meta["rows"].values())} annotation rows to {args.out} in '
          f'{time.perf_counter() - t0:.1f} s')
    return meta


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.format == 'instruction':
        return export_instruction(args)
    if args.long_videos:
        return export_long(args)
    old = previous_export(args.out)
    if old and not args.overwrite:
        shown = ', '.join(n + ('/' if n in SPLITS else '') for n in old)
        raise SystemExit(f'make_synthetic.py: --out {args.out} already holds an export ({shown}); '
                         'writing into it would overwrite its list files and leave its clips '
                         'beyond the new sizes behind. Pass --overwrite to delete that export '
                         'first, or choose another --out.')
    if old:
        remove_export(args.out, old)
        print(f'--overwrite: removed the earlier export in {args.out} ({", ".join(old)})')
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
