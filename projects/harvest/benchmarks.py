"""Harvest benchmarks for ``tools/benchmark.py``.

    .venv/bin/python tools/benchmark.py harvest/drop_cost [--arch b] [--batch-size 2]
    .venv/bin/python tools/benchmark.py harvest/complexity [--arch b] [--frames 8]

``drop_cost`` times one training step (VTC + MLM through the fusion decoder, forward +
backward + AdamW) of ONE model with patch dropping at ``--ratio`` (0.9) and without, the two
interleaved in the same process, and reports the ratio. ``complexity`` counts parameters and
the video tower's multiply-adds per clip with and without dropping.
"""
from __future__ import annotations

import argparse

import torch

from mmvideofm.engine.benchmark import device_sync, register_benchmark, time_interleaved
from mmvideofm.models.layers.masking import random_masking
from mmvideofm.registry import MODELS

__all__ = ['build_harvest']

#: (video tower, text tower) per size; 't' is the synthetic configs' tiny model
SIZES = {
    't': (dict(arch=None, patch_size=8, width=64, layers=4, heads=4, output_dim=32,
               return_list=(2, 3)),
          dict(arch=None, width=64, heads=4, layers=2, output_dim=32)),
    'b': (dict(arch='b16'), dict(arch='b')),
    'l': (dict(arch='l14'), dict(arch='l')),
}
CAPTIONS = ['a man is playing a guitar on the stage while people are dancing',
            'a red circle moves up-left, then the red circle hits the yellow triangle']


def build_harvest(arch: str = 'b', img_size: int = 224, drop_ratio: float = 0.9,
                  losses: tuple[str, ...] = ('vtc', 'mlm')) -> torch.nn.Module:
    """A Harvest model of a size preset (random weights; CLIP BPE tokenizer)."""
    video, text = SIZES[arch[0].lower()]
    return MODELS.build(dict(
        type='Harvest',
        backbone=dict(type='HarvestViT', input_resolution=img_size, **video),
        text_encoder=dict(type='HarvestCLIPText', context_length=77, **text),
        tokenizer=dict(type='CLIPTokenizer', context_length=77),
        fusion_decoder=dict(n_layers=4 if arch[0] != 't' else 2,
                            num_visual_queries=256 if arch[0] != 't' else 16),
        video_drop_ratio=drop_ratio, freeze_text=True, seed=0,
        losses={k: dict(type='VTCLoss' if k == 'vtc' else 'MLMLoss') for k in losses}))


#: command-line options of both benchmarks: (flag, type, default, help)
OPTIONS = (('--arch', str, 'b', 't (tiny, the synthetic model), b or l'),
           ('--frames', int, 8, 'frames per clip'), ('--img-size', int, 224, 'frame size'),
           ('--batch-size', int, 2, 'clips per step'),
           ('--ratio', float, 0.9, 'patch drop ratio'), ('--iters', int, 3, 'timed steps'),
           ('--warmup', int, 1, 'untimed steps'), ('--threads', int, None, 'torch threads'),
           ('--device', str, 'cuda' if torch.cuda.is_available() else 'cpu', 'device'))


def _args(prog: str, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f'benchmark.py {prog}')
    for flag, typ, default, text in OPTIONS:
        parser.add_argument(flag, type=typ, default=default, help=text)
    parser.add_argument('--amp', action='store_true', help='bf16 autocast')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    return args


@register_benchmark('harvest/drop_cost')
def drop_cost(argv: list[str]) -> dict:
    """Seconds per training step with patch dropping vs without (same model, interleaved)."""
    args = _args('harvest/drop_cost', argv)
    torch.manual_seed(0)
    model = build_harvest(args.arch, args.img_size, args.ratio).to(args.device).train()
    video = torch.randn(args.batch_size, 3, args.frames, args.img_size, args.img_size,
                        device=args.device)
    text = model.tokenize([CAPTIONS[i % 2] for i in range(args.batch_size)], args.device)
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)

    def step_at(ratio: float):
        def step():
            model.video_drop_ratio = ratio
            with torch.autocast(device_type=args.device.split(':')[0], dtype=torch.bfloat16,
                                enabled=args.amp):
                loss = sum(model.harvest_losses(video, text).values())
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()
        return step
    stats = time_interleaved({'drop': step_at(args.ratio), 'full': step_at(0.)}, args.iters,
                             args.warmup, device_sync(args.device))
    hw = (args.img_size // model.backbone.patch_size)**2
    return dict(benchmark='harvest/drop_cost', arch=args.arch, device=args.device,
                threads=torch.get_num_threads(), batch_size=args.batch_size,
                frames=args.frames, img_size=args.img_size, amp=args.amp,
                patches_per_frame=hw, kept_per_frame=hw - int(args.ratio * hw),
                sec_per_step_drop=round(stats['drop']['median'], 4),
                sec_per_step_full=round(stats['full']['median'], 4),
                ratio_drop_over_full=round(stats['drop']['median'] / stats['full']['median'],
                                           3),
                cpu_ratio_drop_over_full=round(stats['drop']['cpu_median'] /
                                               stats['full']['cpu_median'], 3))


@register_benchmark('harvest/complexity')
def complexity(argv: list[str]) -> dict:
    """Parameters (M) of the whole model and of the towers, and the video tower's GFLOPs
    (multiply-adds, one clip) with and without patch dropping (FlopCounterMode)."""
    from torch.utils.flop_counter import FlopCounterMode
    args = _args('harvest/complexity', argv)
    model = build_harvest(args.arch, args.img_size, args.ratio).eval().requires_grad_(False)
    hw = (args.img_size // model.backbone.patch_size)**2
    out = dict(benchmark='harvest/complexity', arch=args.arch, frames=args.frames,
               img_size=args.img_size, drop_ratio=args.ratio,
               params_m=round(sum(p.numel() for p in model.parameters()) / 1e6, 1),
               video_params_m=round(sum(p.numel() for p in model.backbone.parameters()) / 1e6,
                                    1),
               decoder_params_m=round(sum(p.numel() for p in
                                          model.caption_decoder.parameters()) / 1e6, 1))
    video = torch.randn(1, 3, args.frames, args.img_size, args.img_size)
    for name, ratio in (('full', 0.), ('drop', args.ratio)):
        mask = random_masking(args.frames, hw, ratio) if ratio else None
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            model.backbone(video, mask)
        out[f'video_gflops_{name}'] = round(counter.get_total_flops() / 2 / 1e9, 1)
    return out
