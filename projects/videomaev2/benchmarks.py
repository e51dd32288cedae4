"""VideoMAE V2 benchmarks for ``tools/benchmark.py``.

    .venv/bin/python tools/benchmark.py videomaev2/pretrain_step --arch b [--frames 16 --img-size 224]
    .venv/bin/python tools/benchmark.py videomaev2/forward --arch b [--official-root DIR]

``pretrain_step`` times one dual-masking pre-training step (forward + backward + AdamW) and is
the reference the UMT plugin compares its stage-1 step against (same backbone ``--arch``).
``forward`` times fp32 inference of our ``VideoViT``; with ``--official-root`` (a checkout of
OpenGVLab/VideoMAEv2 kept outside this repository) it also times the official model
definition with identical weights in the same process: interleaved repetitions in
alternating order, median and min-max of both, their ratio, pooled features checked equal.
"""
from __future__ import annotations

import argparse
import time

import torch

from mmvideofm.engine.benchmark import (
    compare_vit_forward,
    official_finetune_vit,
    register_benchmark,
)

# decoder widths / heads of the official pre-training factories
DECODER_ARCH = {
    's': dict(embed_dim=192, num_heads=3), 'b': dict(embed_dim=384, num_heads=6),
    'l': dict(embed_dim=512, num_heads=8), 'h': dict(embed_dim=512, num_heads=8),
    'g': dict(embed_dim=512, num_heads=8),
}


def build_pretrainer(arch: str = 'b', frames: int = 16, img_size: int = 224,
                     mask_ratio: float = 0.9, decoder_mask_ratio: float = 0.5,
                     decoder_depth: int = 4, with_cp: bool = False, seed: int = 0):
    """The official VideoMAE V2 pre-training model of a size preset, as our modules."""
    from mmvideofm.registry import MODELS
    arch = arch.lower()[0]
    backbone = dict(type='VideoViT', arch=arch, img_size=img_size, num_frames=frames,
                    tubelet_size=2, use_mean_pooling=False, out_type='raw', with_cp=with_cp)
    decoder = dict(type='VideoMAEv2Decoder', depth=decoder_depth, with_cp=with_cp,
                   mlp_ratio=48 / 11 if arch == 'g' else 4., **DECODER_ARCH[arch])
    return MODELS.build(dict(
        type='VideoMAEv2', backbone=backbone, decoder=decoder, mask_ratio=mask_ratio,
        decoder_mask_ratio=decoder_mask_ratio, mask_seed=seed,
        decoder_mask_type='run_cell' if decoder_mask_ratio > 0 else None))


def _timed(fn, iters: int, warmup: int, device: str) -> float:
    for _ in range(warmup):
        fn()
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / max(iters, 1)


def _common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--arch', default='b', help='backbone size: s, b, l, h or g')
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')


@register_benchmark('videomaev2/pretrain_step')
def pretrain_step(argv: list[str]) -> dict:
    """Seconds per VideoMAE V2 pre-training step (fwd + bwd + AdamW) for a backbone size."""
    parser = argparse.ArgumentParser(prog='benchmark.py videomaev2/pretrain_step')
    _common_args(parser)
    parser.add_argument('--mask-ratio', type=float, default=0.9)
    parser.add_argument('--decoder-mask-ratio', type=float, default=0.5)
    parser.add_argument('--with-cp', action='store_true')
    parser.add_argument('--amp', action='store_true', help='bf16 autocast')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = build_pretrainer(args.arch, args.frames, args.img_size, args.mask_ratio,
                             args.decoder_mask_ratio, with_cp=args.with_cp).to(args.device)
    model.train()
    optim = torch.optim.AdamW(model.parameters(), lr=1e-4)
    video = torch.randn(args.batch_size, 3, args.frames, args.img_size, args.img_size,
                        device=args.device)

    def step():
        with torch.autocast(device_type=args.device.split(':')[0], dtype=torch.bfloat16,
                            enabled=args.amp):
            loss = model.loss(video)['loss_pix']
        optim.zero_grad(set_to_none=True)
        loss.backward()
        optim.step()

    sec = _timed(step, args.iters, args.warmup, args.device)
    return dict(benchmark='videomaev2/pretrain_step', arch=args.arch, frames=args.frames,
                img_size=args.img_size, batch_size=args.batch_size, device=args.device,
                threads=torch.get_num_threads(), mask_ratio=args.mask_ratio,
                decoder_mask_ratio=args.decoder_mask_ratio,
                params_m=round(sum(p.numel() for p in model.parameters()) / 1e6, 2),
                sec_per_step=round(sec, 4), clips_per_s=round(args.batch_size / sec, 3))


def build_official_vit(official_root: str, arch: str, frames: int, img_size: int,
                       num_classes: int = 400):
    """The official ``modeling_finetune.VisionTransformer`` of a size preset (timing only;
    from a checkout kept outside this repository, never vendored)."""
    import os
    return official_finetune_vit(os.path.join(official_root, 'models', 'modeling_finetune.py'),
                                 arch, frames, img_size, tubelet_size=2, num_classes=num_classes)


@register_benchmark('videomaev2/forward')
def forward(argv: list[str]) -> dict:
    """fp32 inference clips/s of our VideoViT (and of the official definition if given)."""
    parser = argparse.ArgumentParser(prog='benchmark.py videomaev2/forward')
    _common_args(parser)
    parser.add_argument('--official-root', default=None,
                        help='checkout of OpenGVLab/VideoMAEv2 (outside this repo)')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from mmvideofm.models.backbones import VideoViT
    arch = args.arch.lower()[0]
    torch.manual_seed(0)
    ours = VideoViT(arch=arch, img_size=args.img_size, num_frames=args.frames,
                    num_classes=400).to(args.device).eval()
    video = torch.randn(args.batch_size, 3, args.frames, args.img_size, args.img_size,
                        device=args.device)
    result = dict(benchmark='videomaev2/forward', arch=arch, frames=args.frames,
                  img_size=args.img_size, batch_size=args.batch_size, device=args.device,
                  threads=torch.get_num_threads())
    official = None
    if args.official_root:
        official = build_official_vit(args.official_root, arch, args.frames, args.img_size)
        official.load_state_dict(ours.state_dict(), strict=True)
        official = official.to(args.device).eval()
    result.update(compare_vit_forward(ours, official, video, args.iters, args.warmup))
    return result


@register_benchmark('videomaev2/complexity')
def complexity(argv: list[str]) -> dict:
    """Parameters and per-view GFLOPs (mmengine's analyzer, multiply-adds) of VideoViT."""
    parser = argparse.ArgumentParser(prog='benchmark.py videomaev2/complexity')
    parser.add_argument('--arch', default='b')
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--num-classes', type=int, default=400)
    parser.add_argument('--threads', type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from mmengine.analysis import FlopAnalyzer, parameter_count

    from mmvideofm.models.backbones import VideoViT
    arch = args.arch.lower()[0]
    model = VideoViT(arch=arch, img_size=args.img_size, num_frames=args.frames,
                     num_classes=args.num_classes, fused_attn=False).eval()
    video = torch.zeros(1, 3, args.frames, args.img_size, args.img_size)
    with torch.no_grad():
        flops = FlopAnalyzer(model, (video, ))
        flops.unsupported_ops_warnings(False)
        flops.uncalled_modules_warnings(False)
        total = flops.total()
    params = parameter_count(model)['']
    return dict(benchmark='videomaev2/complexity', arch=arch, frames=args.frames,
                img_size=args.img_size, num_classes=args.num_classes,
                params_m=round(params / 1e6, 2), gflops=round(total / 1e9, 1))
