"""Export the tiny synthetic MVBench (official layout) from the synthetic world.

    .venv/bin/python tools/mvbench/make_tiny.py [--out data/synthetic_mvbench_tiny] [--num-per-task 20]
                                      [--seed 0] [--size 32] [--num-frames 16]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))


def main(argv=None):
    p = argparse.ArgumentParser(description='Export a tiny MVBench from the synthetic world')
    p.add_argument('--out', default='data/synthetic_mvbench_tiny')
    p.add_argument('--num-per-task', type=int, default=20)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--size', type=int, default=32)
    p.add_argument('--num-frames', type=int, default=16)
    args = p.parse_args(argv)
    import mmvideofm  # noqa: F401
    from projects.mvbench.generation import export_tiny_mvbench
    stats = export_tiny_mvbench(args.out, num_per_task=args.num_per_task, seed=args.seed,
                                size=args.size, num_frames=args.num_frames)
    for task, n in stats['tasks'].items():
        print(f'{task:<26}{n:>5} questions')
    print(f'{stats["videos"]} videos written to {args.out} in {stats["seconds"]:.1f}s '
          f'(dropped: {stats["dropped"]})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
