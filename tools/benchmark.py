"""Measure speed and memory; numbers go into the READMEs as ratios.

    .venv/bin/python tools/benchmark.py model CONFIG [--batch-size 2] [--iters 10] [--train]
                                           [--input-shape C T H W] [--device cpu|cuda] [--amp]
    .venv/bin/python tools/benchmark.py <plugin>/<name> [benchmark args...]   (registered by plugins)
    .venv/bin/python tools/benchmark.py list

``model`` times a config's model forward (or forward+backward with ``--train``) on
random clips and reports clips/s and peak memory. Plugin benchmarks are registered
with :func:`mmvideofm.engine.benchmark.register_benchmark`; every plugin under
``projects/`` is imported, so ``list`` shows them all and a misspelt name gets suggestions.
Benchmarks that compare with official code take ``--official-root`` (a checkout kept
outside this repository) and time both in this process, interleaved.
"""
import argparse
import json
import os.path as osp
import resource
import sys
import time

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

import torch  # noqa: E402


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _input_shape(cfg):
    shape = cfg.get('benchmark_input_shape')
    if shape:
        return tuple(shape)
    backbone = cfg.model.get('backbone', {})
    frames = backbone.get('num_frames', backbone.get('all_frames', 16))
    size = backbone.get('img_size', 224)
    return (3, frames, size, size)


def bench_model(argv):
    parser = argparse.ArgumentParser(prog='benchmark.py model')
    parser.add_argument('config')
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--train', action='store_true', help='forward + backward')
    parser.add_argument('--input-shape', type=int, nargs=4, metavar=('C', 'T', 'H', 'W'))
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--amp', action='store_true', help='bf16 autocast')
    parser.add_argument('--threads', type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    from mmaction.structures import ActionDataSample
    from mmengine.registry import init_default_scope

    from mmvideofm.engine.runner_utils import load_config
    from mmvideofm.registry import MODELS
    cfg = load_config(args.config)
    init_default_scope(cfg.get('default_scope', 'mmvideofm'))
    model = MODELS.build(cfg.model).to(args.device)
    model.train(args.train)
    shape = tuple(args.input_shape) if args.input_shape else _input_shape(cfg)
    inputs = torch.randn(args.batch_size, 1, *shape, device=args.device)
    samples = [ActionDataSample().set_gt_label(0) for _ in range(args.batch_size)]

    def step():
        with torch.autocast(args.device, dtype=torch.bfloat16, enabled=args.amp):
            if args.train:
                losses = model(inputs, samples, mode='loss')
                sum(v for k, v in losses.items() if 'loss' in k).backward()
            else:
                with torch.no_grad():
                    model(inputs, samples, mode='tensor')

    for _ in range(args.warmup):
        step()
    if args.device == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(args.iters):
        step()
    if args.device == 'cuda':
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    result = dict(config=args.config, mode='train' if args.train else 'forward',
                  device=args.device, batch_size=args.batch_size, input_shape=shape,
                  threads=torch.get_num_threads(), iters=args.iters,
                  clips_per_s=args.batch_size * args.iters / elapsed,
                  s_per_iter=elapsed / args.iters,
                  params_M=sum(p.numel() for p in model.parameters()) / 1e6)
    if args.device == 'cuda':
        result['peak_gpu_mem_MB'] = torch.cuda.max_memory_allocated() / 2**20
    result['peak_rss_MB'] = _peak_rss_mb()
    return result


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ('-h', '--help'):
        print(__doc__)
        return None
    import mmvideofm  # noqa: F401
    from mmvideofm.engine.benchmark import BENCHMARKS, get_benchmark
    from projects import import_plugins
    name, rest = argv[0], argv[1:]
    if name == 'model':
        result = bench_model(rest)
    else:
        import_plugins()
        if name == 'list':
            result = sorted(BENCHMARKS.module_dict)
        else:
            try:
                fn = get_benchmark(name)
            except KeyError as err:
                raise SystemExit(f'benchmark.py: {err.args[0]}') from None
            result = fn(rest)
    print(json.dumps(result, indent=2, default=str))
    return result


if __name__ == '__main__':
    main()
