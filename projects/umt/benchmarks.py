"""UMT benchmarks for ``tools/benchmark.py``.

    .venv/bin/python tools/benchmark.py umt/pretrain_cost_vs_videomaev2 --arch b [--batch-size 2]
    .venv/bin/python tools/benchmark.py umt/complexity [--arch b --frames 8 --img-size 224]
    .venv/bin/python tools/benchmark.py umt/forward --arch b [--frames 8] [--official-root DIR]

``pretrain_cost_vs_videomaev2`` builds the UMT stage-1 model and the VideoMAE V2 pretrainer
*through the registry* (type names only; this plugin never imports ``projects.videomaev2``)
at the same backbone size and the same number of tokens (UMT 8 frames x tubelet 1, VideoMAE
V2 16 frames x tubelet 2: 1568 tokens at 224 px), times one training step (forward +
backward + AdamW) of each, interleaved, and reports the ratio.
"""
from __future__ import annotations

import argparse

import torch

from mmvideofm.engine.benchmark import (
    compare_vit_forward,
    device_sync,
    official_finetune_vit,
    register_benchmark,
    time_interleaved,
)
from mmvideofm.registry import MODELS

# tiny preset for smoke tests; the others are VideoViT's arch_zoo names
TINY = dict(patch_size=16, embed_dim=64, depth=6, num_heads=4, mlp_ratio=4.)
# VideoMAE V2 decoder widths of the official pre-training factories
VMAE2_DECODER = {'t': dict(embed_dim=32, num_heads=2), 's': dict(embed_dim=192, num_heads=3),
                 'b': dict(embed_dim=384, num_heads=6), 'l': dict(embed_dim=512, num_heads=8),
                 'h': dict(embed_dim=512, num_heads=8)}
TEACHER = {'t': dict(arch=None, patch_size=16, width=64, layers=6, heads=4, output_dim=32),
           's': dict(arch='b16'), 'b': dict(arch='b16'), 'l': dict(arch='l14'),
           'h': dict(arch='l14')}


def _arch(arch: str):
    a = arch.lower()[0]
    return a, (dict(TINY) if a == 't' else a)


def build_umt(arch: str = 'b', frames: int = 8, img_size: int = 224, mask_ratio: float = 0.8,
              clip_return_layer: int = 6, seed: int = 0):
    """UMT stage 1 of a size preset (UMT-L: CLIP L/14 at ``img_size * 14 / 16`` px)."""
    a, backbone_arch = _arch(arch)
    teacher = dict(type='CLIPVisual', return_layers=clip_return_layer, **TEACHER[a])
    patch = 14 if teacher.get('arch') == 'l14' else 16
    teacher['input_resolution'] = img_size // 16 * patch
    return MODELS.build(dict(
        type='UMT', mask_ratio=mask_ratio, clip_return_layer=clip_return_layer, mask_seed=seed,
        backbone=dict(type='UMTViT', arch=backbone_arch, img_size=img_size, num_frames=frames,
                      use_mean_pooling=False, pos_embed_base_thw=None),
        teacher=teacher))


def build_videomaev2(arch: str = 'b', frames: int = 16, img_size: int = 224, seed: int = 0):
    """The VideoMAE V2 pretrainer (90% tube + 50% running-cell), by registry type name."""
    a, backbone_arch = _arch(arch)
    return MODELS.build(dict(
        type='VideoMAEv2', mask_ratio=0.9, decoder_mask_ratio=0.5, mask_seed=seed,
        decoder_mask_type='run_cell',
        backbone=dict(type='VideoViT', arch=backbone_arch, img_size=img_size,
                      num_frames=frames, tubelet_size=2, use_mean_pooling=False,
                      out_type='raw'),
        decoder=dict(type='VideoMAEv2Decoder', depth=4, **VMAE2_DECODER[a])))


def _step_fn(model, video, device, amp):
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=1e-4)

    def step():
        with torch.autocast(device_type=device.split(':')[0], dtype=torch.bfloat16,
                            enabled=amp):
            loss = sum(v for k, v in model.loss(video).items() if k.startswith('loss'))
        optim.zero_grad(set_to_none=True)
        loss.backward()
        optim.step()
    return step


def _median_times(fns: dict, iters: int, warmup: int, device: str) -> dict[str, float]:
    stats = time_interleaved(fns, iters, warmup, device_sync(device))
    return {k: v['median'] for k, v in stats.items()}


def _args(prog: str, argv: list[str], frames: int = 8, extra=()) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f'benchmark.py {prog}')
    for flag, typ, default in extra:
        parser.add_argument(flag, type=typ, default=default)
    parser.add_argument('--arch', default='b', help='t (tiny), s, b, l or h')
    parser.add_argument('--frames', type=int, default=frames)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--amp', action='store_true', help='bf16 autocast')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    return args


@register_benchmark('umt/pretrain_cost_vs_videomaev2')
def pretrain_cost_vs_videomaev2(argv: list[str]) -> dict:
    """Seconds per pretraining step, UMT stage 1 vs VideoMAE V2, same backbone and tokens."""
    args = _args('umt/pretrain_cost_vs_videomaev2', argv)
    if 'VideoMAEv2' not in MODELS.module_dict:
        # as a config's ``custom_imports`` would: load the plugin that registers the type
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(['projects.videomaev2'], allow_failed_imports=True)
    if MODELS.get('VideoMAEv2') is None:
        raise KeyError('type VideoMAEv2 is not registered: the videomaev2 plugin is missing')
    torch.manual_seed(0)
    umt = build_umt(args.arch, args.frames, args.img_size).to(args.device).train()
    vmae = build_videomaev2(args.arch, 2 * args.frames, args.img_size).to(args.device).train()
    shape = (args.batch_size, 3)
    v_umt = torch.randn(*shape, args.frames, args.img_size, args.img_size, device=args.device)
    v_vmae = torch.randn(*shape, 2 * args.frames, args.img_size, args.img_size,
                         device=args.device)
    sec = _median_times({'umt': _step_fn(umt, v_umt, args.device, args.amp),
                         'videomaev2': _step_fn(vmae, v_vmae, args.device, args.amp)},
                        args.iters, args.warmup, args.device)
    n_tokens = umt.backbone.patch_embed.num_patches
    return dict(
        benchmark='umt/pretrain_cost_vs_videomaev2', arch=args.arch, device=args.device,
        threads=torch.get_num_threads(), batch_size=args.batch_size, amp=args.amp,
        umt_input=f'{args.frames}x{args.img_size} tubelet 1, mask 0.8 (semantic), teacher '
                  f'{TEACHER[args.arch.lower()[0]].get("arch") or "tiny"}',
        videomaev2_input=f'{2 * args.frames}x{args.img_size} tubelet 2, mask 0.9 tube + '
                         f'decoder 0.5 running cell',
        tokens_per_clip=n_tokens,
        umt_sec_per_step=round(sec['umt'], 4),
        videomaev2_sec_per_step=round(sec['videomaev2'], 4),
        ratio_umt_over_videomaev2=round(sec['umt'] / sec['videomaev2'], 3),
        note='per step; the paper trains UMT 200 epochs vs VideoMAE 800-2400')


def count_macs(model: torch.nn.Module, shape: tuple[int, ...]) -> float:
    """Multiply-accumulates (G) of one forward, counted by torch's FlopCounterMode / 2
    (fvcore's convention), on the meta device (no compute)."""
    from torch.utils.flop_counter import FlopCounterMode
    x = torch.empty(*shape, device='meta')
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    return counter.get_total_flops() / 2 / 1e9


@register_benchmark('umt/complexity')
def complexity(argv: list[str]) -> dict:
    """Parameters (M) and GFLOPs (multiply-adds, one view) of the UMT fine-tune model."""
    args = _args('umt/complexity', argv, extra=[('--num-classes', int, 400)])
    a, backbone_arch = _arch(args.arch)
    with torch.device('meta'):
        model = MODELS.build(dict(type='UMTViT', arch=backbone_arch, img_size=args.img_size,
                                  num_frames=args.frames, num_classes=args.num_classes))
    params = sum(p.numel() for p in model.parameters())
    macs = count_macs(model, (1, 3, args.frames, args.img_size, args.img_size))
    return dict(benchmark='umt/complexity', arch=args.arch, frames=args.frames,
                img_size=args.img_size, num_classes=args.num_classes,
                params_m=round(params / 1e6, 1),
                gflops_per_view=round(macs, 1))


def build_official_vit(official_root: str, arch: str, frames: int, img_size: int,
                       num_classes: int = 400):
    """The official UMT fine-tune ``VisionTransformer`` (timing only; from a checkout kept
    outside this repository, never vendored)."""
    import os
    path = os.path.join(official_root, 'single_modality', 'models', 'modeling_finetune.py')
    if not os.path.isfile(path):
        path = os.path.join(official_root, 'models', 'modeling_finetune.py')
    return official_finetune_vit(path, arch, frames, img_size, tubelet_size=1,
                                 num_classes=num_classes)


@register_benchmark('umt/forward')
def forward(argv: list[str]) -> dict:
    """fp32 inference of UMTViT (+ head) for a size preset; with ``--official-root`` (a checkout
    of OpenGVLab/unmasked_teacher outside this repo) side by side with the official model:
    interleaved, alternating order, median and min-max, features checked equal."""
    args = _args('umt/forward', argv, extra=[('--official-root', str, None)])
    a, backbone_arch = _arch(args.arch)
    torch.manual_seed(0)
    model = MODELS.build(dict(type='UMTViT', arch=backbone_arch, img_size=args.img_size,
                              num_frames=args.frames, num_classes=400)).to(args.device).eval()
    video = torch.randn(args.batch_size, 3, args.frames, args.img_size, args.img_size,
                        device=args.device)
    result = dict(benchmark='umt/forward', arch=args.arch, frames=args.frames,
                  img_size=args.img_size, batch_size=args.batch_size, device=args.device,
                  threads=torch.get_num_threads())
    official = None
    if args.official_root:
        official = build_official_vit(args.official_root, a, args.frames, args.img_size)
        official.load_state_dict(model.state_dict(), strict=True)
        official = official.to(args.device).eval()
    result.update(compare_vit_forward(model, official, video, args.iters, args.warmup))
    return result
