"""Score generated transitions with the paper's three criteria (CLIP from a local folder).

    .venv/bin/python tools/seine/evaluate_transitions.py --clip PATH/clip-vit-large-patch14 \
        --videos out/transition.mp4 --scenes a.png b.png --prompt "smooth transition"

Temporal consistency (adjacent frames), semantic similarity to the two scene images
(intermediate frames) and video-text alignment (all frames), cosine x100; definitions in
projects/seine/metrics.py. Prints the mean over the videos as JSON.
"""
from __future__ import annotations

import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--clip', required=True, help='local transformers CLIPModel folder')
    p.add_argument('--videos', nargs='+', required=True, help='mp4 files or frame folders')
    p.add_argument('--scenes', nargs=2, help='the two scene images (same for every video)')
    p.add_argument('--prompt', help='transition prompt')
    p.add_argument('--device', default='cpu')
    return p.parse_args(argv)


def read_frames(path: str):
    """(F, 3, H, W) uint8 frames of a video file or frame folder."""
    import numpy as np
    import torch

    from mmvideofm.datasets.video_io import open_video
    with open_video(path) as reader:
        frames = reader.get_frames(range(len(reader)))
    return torch.from_numpy(np.asarray(frames)).permute(0, 3, 1, 2).contiguous()


def main(argv: list[str] | None = None, clip=None, tokenizer=None) -> dict:
    args = parse_args(argv)
    import numpy as np
    import torch
    from PIL import Image

    from projects.seine.metrics import SEINETransitionMetric
    metric = SEINETransitionMetric(clip if clip is not None else args.clip, tokenizer,
                                   args.device)
    scenes = None
    if args.scenes:
        scenes = [torch.from_numpy(np.asarray(Image.open(p).convert('RGB'))).permute(2, 0, 1)
                  for p in args.scenes]
        size = scenes[0].shape[-2:]
        scenes = torch.stack([torch.nn.functional.interpolate(
            s[None].float(), size=tuple(size), mode='bilinear')[0].round().to(torch.uint8)
            for s in scenes])
    samples = [dict(frames=read_frames(v), scenes=scenes, prompt=args.prompt)
               for v in args.videos]
    metric.process(None, samples)
    result = metric.compute_metrics(metric.results)
    print(json.dumps(result, indent=1))
    return result


if __name__ == '__main__':
    main()
