"""CPU time of one SEINE sampling step (UNet with CFG) against the per-frame SD UNet.

    .venv/bin/python tools/seine/benchmark_step.py --size tiny
    .venv/bin/python tools/seine/benchmark_step.py --size full --frames 16 --latent 16

The official code cannot run here (it pins diffusers 0.15 and rotary-embedding-torch, neither
installed), so the baseline is the obvious one: diffusers' ``UNet2DConditionModel`` with the
same config run on every frame (what SEINE adds is the temporal attention and 5 input
channels). Random weights; process CPU time (robust to a loaded machine); prints JSON.
"""
from __future__ import annotations

import argparse
import json
import os.path as osp
import sys
import time

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

SD14 = dict(block_out_channels=[320, 640, 1280, 1280], layers_per_block=2, norm_num_groups=32,
            cross_attention_dim=768, attention_head_dim=8,
            down_block_types=['CrossAttnDownBlock2D'] * 3 + ['DownBlock2D'],
            up_block_types=['UpBlock2D'] + ['CrossAttnUpBlock2D'] * 3)
TINY = dict(block_out_channels=[32, 64], layers_per_block=1, norm_num_groups=8,
            cross_attention_dim=24, attention_head_dim=[1, 2],
            down_block_types=['CrossAttnDownBlock2D', 'DownBlock2D'],
            up_block_types=['UpBlock2D', 'CrossAttnUpBlock2D'])


def measure(fn, repeats: int) -> float:
    fn()  # warm-up
    start = time.process_time()
    for _ in range(repeats):
        fn()
    return (time.process_time() - start) / repeats


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--size', choices=('tiny', 'full'), default='tiny')
    p.add_argument('--frames', type=int, default=16)
    p.add_argument('--latent', type=int, default=8, help='latent height = width')
    p.add_argument('--text-len', type=int, default=77)
    p.add_argument('--repeats', type=int, default=3)
    args = p.parse_args(argv)
    import torch
    from diffusers import UNet2DConditionModel

    from projects.seine import SEINEUNet
    torch.set_num_threads(1)
    sd_cfg = dict(SD14 if args.size == 'full' else TINY, in_channels=4, out_channels=4)
    rotary = 32 if args.size == 'full' else 16
    seine = SEINEUNet(config=sd_cfg, rotary_dim=rotary).eval()
    base = UNet2DConditionModel(**sd_cfg).eval()
    f, h = args.frames, args.latent
    d = sd_cfg['cross_attention_dim']
    x = torch.randn(2, 9, f, h, h)
    text = torch.randn(2, args.text_len, d)
    t = torch.tensor([500, 500])
    with torch.no_grad():
        s = measure(lambda: seine.forward_with_cfg(x, t, text, 8.0), args.repeats)
        frames = x[:, :4].transpose(1, 2).flatten(0, 1)  # (2F, 4, h, w)
        b = measure(lambda: base(frames, 500, text.repeat_interleave(f, 0)).sample,
                    args.repeats)
    res = dict(size=args.size, frames=f, latent=h,
               params_seine=sum(p.numel() for p in seine.parameters()),
               params_sd_unet=sum(p.numel() for p in base.parameters()),
               seconds_per_step_seine=round(s, 3), seconds_per_step_sd_per_frame=round(b, 3),
               ratio=round(s / b, 3))
    print(json.dumps(res, indent=1))
    return res


if __name__ == '__main__':
    main()
