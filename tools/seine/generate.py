"""Generate SEINE videos: transition, image-to-video, autoregressive prediction or a story.

    .venv/bin/python tools/seine/generate.py transition --sd PATH/stable-diffusion-v1-4 \
        --checkpoint PATH/seine.pt --images a.png b.png --out out/transition.mp4
    .venv/bin/python tools/seine/generate.py i2v --sd SD --checkpoint seine.pt \
        --images car.png --prompt "a red car" --height 320 --width 512 --out out/i2v.mp4

The UNet is built from ``<sd>/unet/config.json`` (or ``--unet-config``: a JSON of
SEINEUNet arguments) and loaded from ``seine.pt`` (its ``ema`` weights, memory-mapped,
converted strictly); VAE, text encoder and tokenizer come from ``<sd>``. Without ``--sd``
the model works in pixel space with no text (the tiny synthetic SEINE). Writes the mp4 and a
frame grid PNG next to it. Defaults are the official ones: DDPM with 250 respaced steps,
guidance 8.0, 16 frames, prompt suffixes ", slow motion." / "smooth transition.".
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

MODES = ('transition', 'i2v', 'predict', 'story')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('mode', choices=MODES)
    p.add_argument('--images', nargs='+', required=True,
                   help='scene images (transition: 2; i2v/predict: 1; story: one per prompt)')
    p.add_argument('--prompt', nargs='*', default=[''], help='prompt(s) (story: one per image)')
    p.add_argument('--negative-prompt', default='')
    p.add_argument('--checkpoint', required=True, help='seine.pt or a converted state dict')
    p.add_argument('--sd', help='Stable Diffusion v1.4 folder (vae, text_encoder, tokenizer, '
                               'unet/config.json)')
    p.add_argument('--unet-config', help='JSON file of SEINEUNet arguments (overrides --sd)')
    p.add_argument('--num-frames', type=int, default=16)
    p.add_argument('--trained-frames', type=int, default=16)
    p.add_argument('--height', type=int)
    p.add_argument('--width', type=int)
    p.add_argument('--steps', default='250', help="respacing: '250', 'ddim50', ...")
    p.add_argument('--sampler', choices=('ddpm', 'ddim'), default='ddpm')
    p.add_argument('--guidance-scale', type=float, default=8.0)
    p.add_argument('--num-clips', type=int, default=2, help='predict: clips to chain')
    p.add_argument('--given', type=int, default=1, help='predict: frames carried over')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--device', default='cpu')
    p.add_argument('--dtype', choices=('fp32', 'fp16', 'bf16'), default='fp32')
    p.add_argument('--cpu-offload', action='store_true')
    p.add_argument('--vae-slicing', action='store_true')
    p.add_argument('--vae-tiling', action='store_true')
    p.add_argument('--attention-slicing', action='store_true')
    p.add_argument('--fps', type=float, default=8.0)
    p.add_argument('--out', default='work_dirs/seine/out.mp4')
    return p.parse_args(argv)


def build_pipeline(args: argparse.Namespace):
    """UNet (+ converted weights), scheduler, VAE and CLIP text model from local files."""
    import torch

    from mmvideofm.checkpoint import get_converter
    from projects.seine import SEINEScheduler, SEINEUNet
    from projects.seine.converter import load_seine_checkpoint
    from projects.seine.pipeline import SEINEPipeline
    if args.unet_config:
        with open(args.unet_config) as f:
            unet = SEINEUNet(**json.load(f))
    elif args.sd:
        unet = SEINEUNet(config=osp.join(args.sd, 'unet'))
    else:
        raise SystemExit('generate: give --sd (SD-1.4 folder) or --unet-config')
    unet.load_state_dict(get_converter('seine')(load_seine_checkpoint(args.checkpoint)),
                         strict=True)
    vae = text = tok = None
    if args.sd:
        from diffusers import AutoencoderKL
        from transformers import CLIPTextModel, CLIPTokenizer
        vae = AutoencoderKL.from_pretrained(osp.join(args.sd, 'vae'), local_files_only=True)
        text = CLIPTextModel.from_pretrained(osp.join(args.sd, 'text_encoder'),
                                             local_files_only=True)
        tok = CLIPTokenizer.from_pretrained(osp.join(args.sd, 'tokenizer'),
                                            local_files_only=True)
    pipe = SEINEPipeline(unet.eval(), SEINEScheduler(sampler=args.sampler), vae, text, tok,
                         trained_frames=args.trained_frames)
    dtype = dict(fp32=torch.float32, fp16=torch.float16, bf16=torch.bfloat16)[args.dtype]
    if args.cpu_offload:
        pipe.enable_model_cpu_offload(args.device)
    else:
        pipe.to(args.device, dtype if args.device != 'cpu' else None)
    if args.vae_slicing:
        pipe.enable_vae_slicing()
    if args.vae_tiling:
        pipe.enable_vae_tiling()
    if args.attention_slicing:
        pipe.enable_attention_slicing(1)
    return pipe


def save_outputs(frames, out: str, fps: float) -> tuple[str, str]:
    """(F, 3, H, W) in [-1, 1] -> ``out`` (mp4) and ``out`` with ``.png`` (frame grid)."""
    import torch
    from PIL import Image

    from mmvideofm.datasets.video_io import write_video
    from projects.seine.pipeline import to_uint8
    video = to_uint8(frames).permute(0, 2, 3, 1).contiguous().numpy()  # (F, H, W, 3)
    os.makedirs(osp.dirname(osp.abspath(out)) or '.', exist_ok=True)
    write_video(out, video, fps=fps)
    cols = min(8, len(video))
    rows = -(-len(video) // cols)
    pad = torch.zeros(rows * cols - len(video), *video.shape[1:], dtype=torch.uint8)
    grid = torch.cat([torch.from_numpy(video), pad]).reshape(rows, cols, *video.shape[1:])
    grid = grid.permute(0, 2, 1, 3, 4).reshape(rows * video.shape[1], cols * video.shape[2], 3)
    png = osp.splitext(out)[0] + '.png'
    Image.fromarray(grid.numpy()).save(png)
    return out, png


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    import torch
    from PIL import Image
    from tqdm import tqdm
    pipe = build_pipeline(args)
    images = [Image.open(p).convert('RGB') for p in args.images]
    need = dict(transition=2, i2v=1, predict=1)
    if args.mode in need and len(images) != need[args.mode]:
        raise SystemExit(f'generate: {args.mode} needs {need[args.mode]} image(s), got '
                         f'{len(images)}')
    prompt = args.prompt[0] if args.prompt else ''
    bar = tqdm(desc=args.mode, unit='step')

    def progress(i: int, n: int) -> None:
        bar.total = n
        bar.update(1)

    kw = dict(num_frames=args.num_frames, height=args.height, width=args.width,
              num_inference_steps=args.steps, guidance_scale=args.guidance_scale,
              negative_prompt=args.negative_prompt, callback=progress,
              generator=torch.Generator().manual_seed(args.seed))
    if args.mode == 'transition':
        frames = pipe.transition(images[0], images[1], prompt or 'smooth transition',
                                 **kw).frames[0]
    elif args.mode == 'i2v':
        frames = pipe.image_to_video(images[0], prompt, **kw).frames[0]
    elif args.mode == 'predict':
        frames = pipe.predict(images[0], args.num_clips, args.given, prompt, **kw)
    else:
        frames = pipe.story(images, args.prompt, **kw)
    bar.close()
    mp4, png = save_outputs(frames, args.out, args.fps)
    print(f'wrote {mp4} ({len(frames)} frames) and {png}')
    return dict(mp4=mp4, png=png, num_frames=len(frames))


if __name__ == '__main__':
    main()
