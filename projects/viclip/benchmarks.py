"""ViCLIP benchmarks for ``tools/benchmark.py``.

    .venv/bin/python tools/benchmark.py viclip/complexity [--arch l] [--frames 8]
    .venv/bin/python tools/benchmark.py viclip/forward --arch b [--official-root DIR]

``complexity`` counts parameters and multiply-adds (torch's FlopCounterMode / 2, on the meta
device) of the vision encoder on one clip (every token, and the 10 % a training step keeps)
and of the text encoder on one caption. ``forward`` times fp32 inference of our vision encoder;
with ``--official-root`` (a checkout of OpenGVLab/InternVideo kept outside this repository)
side by side with the official ``viclip_vision.VisionTransformer`` holding the same weights,
interleaved, and checks that the two agree.
"""
from __future__ import annotations

import argparse
import os

import torch

from mmvideofm.engine.benchmark import (
    device_sync,
    load_official_module,
    register_benchmark,
    speedup,
    time_interleaved,
)
from mmvideofm.registry import MODELS

VISION = {'b': dict(arch='b16'), 'l': dict(arch='l14'),
          't': dict(arch=None, patch_size=16, width=64, layers=2, heads=4, output_dim=32)}
TEXT = {'b': dict(arch='b'), 'l': dict(arch='l'),
        't': dict(arch=None, width=32, heads=2, layers=2, output_dim=32)}


def _args(prog: str, argv: list[str], extra=()) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f'benchmark.py {prog}')
    for flag, typ, default in extra:
        parser.add_argument(flag, type=typ, default=default)
    parser.add_argument('--arch', default='l', choices=['t', 'b', 'l'], help='t (tiny), b, l')
    parser.add_argument('--frames', type=int, default=8)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    return args


def build_vision(arch: str, frames: int = 8, img_size: int = 224):
    """Our ViCLIP vision encoder of a size preset."""
    return MODELS.build(dict(type='CLIPVideoViT', input_resolution=img_size, num_frames=frames,
                             **VISION[arch]))


def _gmacs(fn, *inputs) -> float:
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        fn(*inputs)
    return counter.get_total_flops() / 2 / 1e9


@register_benchmark('viclip/complexity')
def complexity(argv: list[str]) -> dict:
    """Parameters (M) and GMACs of ViCLIP's towers (vision: one clip, all tokens and the 10 %
    a masked training step keeps; text: one 32-token caption)."""
    args = _args('viclip/complexity', argv)
    with torch.device('meta'):
        vision = build_vision(args.arch, args.frames, args.img_size)
        text = MODELS.build(dict(type='CLIPTextTransformer', context_length=32,
                                 **TEXT[args.arch]))
        video = torch.empty(1, 3, args.frames, args.img_size, args.img_size)
        tokens = args.frames * vision.grid_size**2
        kept = torch.empty(1, 1 + tokens - int(0.9 * tokens), vision.width)  # + [CLS]
        ids = torch.zeros(1, 32, dtype=torch.long)
        result = dict(
            benchmark='viclip/complexity', arch=args.arch, frames=args.frames,
            img_size=args.img_size,
            params_m=round(sum(p.numel() for m in (vision, text) for p in m.parameters())
                           / 1e6 + 1e-6, 1),
            vision_params_m=round(sum(p.numel() for p in vision.parameters()) / 1e6, 1),
            vision_gflops=round(_gmacs(vision, video), 1),
            # patch embedding of every frame + the blocks on the kept tokens
            vision_gflops_masked_0_9=round(_gmacs(vision.embed, video)
                                           + _gmacs(vision.transformer, kept), 1),
            text_gflops=round(_gmacs(text.encode_text, ids), 2))
    return result


def build_official_vision(official_root: str, arch: str, frames: int, img_size: int):
    """The official ``viclip_vision.VisionTransformer`` (timing only; from a checkout kept
    outside this repository)."""
    path = os.path.join(official_root, 'Data', 'InternVid', 'viclip', 'viclip_vision.py')
    mod = load_official_module(path)
    ours = build_vision(arch, frames, img_size)
    return mod.VisionTransformer(
        input_resolution=img_size, patch_size=ours.patch_size, width=ours.width,
        layers=len(ours.transformer.resblocks), heads=ours.transformer.resblocks[0].attn.num_heads,
        output_dim=ours.output_dim, kernel_size=1, num_frames=frames, drop_path=0.1)


@register_benchmark('viclip/forward')
def forward(argv: list[str]) -> dict:
    """fp32 inference of the ViCLIP vision encoder (test path); with ``--official-root`` side
    by side with the official model (same weights): seconds and the speed-up."""
    args = _args('viclip/forward', argv, extra=[('--official-root', str, None)])
    torch.manual_seed(0)
    ours = build_vision(args.arch, args.frames, args.img_size).to(args.device).eval()
    video = torch.randn(args.batch_size, 3, args.frames, args.img_size, args.img_size,
                        device=args.device)
    fns = {'ours': lambda: ours(video)}
    result = dict(benchmark='viclip/forward', arch=args.arch, frames=args.frames,
                  img_size=args.img_size, batch_size=args.batch_size,
                  threads=torch.get_num_threads(), device=args.device)
    with torch.no_grad():
        if args.official_root:
            official = build_official_vision(args.official_root, args.arch, args.frames,
                                             args.img_size)
            official.load_state_dict(ours.state_dict(), strict=True)
            official = official.to(args.device).eval()
            result['max_abs_diff'] = float((official(video) - ours(video)).abs().max())
            fns['official'] = lambda: official(video)
        stats = time_interleaved(fns, args.iters, args.warmup, device_sync(args.device))
    result.update({f'{k}_seconds': round(v['median'], 4) for k, v in stats.items()})
    result.update({f'{k}_cpu_seconds': round(v['cpu_median'], 4) for k, v in stats.items()})
    if 'official' in stats:
        result['speedup_vs_official'] = speedup(stats, 'official', 'ours')
        result['speedup_vs_official_cpu_time'] = speedup(stats, 'official', 'ours', 'cpu_')
    return result
