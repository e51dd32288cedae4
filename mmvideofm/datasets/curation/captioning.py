"""Stage 2: multi-scale captions (InternVid paper §3).

*Coarse*: an image captioner on the clip's middle frame (BLIP-2 in InternVid). *Fine*: an
image captioner on frames at ``fine_fps`` (1 fps, issue #142; Tag2Text in InternVid), whose
captions a language model summarises (T5 in InternVid). The caption backend is a registered
class (``CAPTION_BACKENDS``) with two methods, ``caption_frames`` and ``summarize``:

- ``TransformersCaptioner``: transformers pipelines loaded from local paths the user gives
  (any image-to-text model through ``image-text-to-text``; any summariser through
  ``text-generation``). A missing path is an error naming the config key.
- ``OracleCaptioner``: reads the synthetic world's ground truth (``long_videos.json`` of
  :mod:`mmvideofm.datasets.synthetic.long_video`): a frame caption lists the objects on
  screen at that frame; the summary is the template caption of the segment the sampled
  frames fall in (the dynamic description a perfect summariser would recover).
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np

from ..video_io import open_video
from .base import (
    CAPTION_BACKENDS,
    CURATION_STAGES,
    CurationError,
    CurationStage,
    resolve_local_path,
)

__all__ = ['MultiScaleCaptions', 'OracleCaptioner', 'TransformersCaptioner']


@CAPTION_BACKENDS.register_module()
class OracleCaptioner:
    """Captions from the synthetic world's ground truth (tests and demos; no model).

    Args:
        ground_truth: Path of ``long_videos.json`` written by ``export_long_videos``.
    """

    needs_pixels = False

    def __init__(self, ground_truth: str) -> None:
        with open(resolve_local_path(ground_truth, 'captions.backend.ground_truth')) as f:
            self.videos = {v['id']: v for v in json.load(f)['videos']}

    def _segment(self, key: str, frame: int) -> dict[str, Any]:
        if key not in self.videos:
            raise CurationError(f'oracle: video {key!r} is not in the ground truth')
        for seg in self.videos[key]['segments']:
            if seg['start_frame'] <= frame < seg['end_frame']:
                return seg
        raise CurationError(f'oracle: frame {frame} is outside video {key!r}')

    def frame_caption(self, key: str, frame: int) -> str:
        """The objects on screen at ``frame`` (colour and shape), from the ground truth."""
        seg = self._segment(key, frame)
        t = min(frame - seg['start_frame'], len(seg['clip']['objects'][0]['visible']) - 1) \
            if seg['clip']['objects'] else 0
        if seg['kind'] == 'still':  # a held frame: the segment's middle frame
            t = (seg['end_frame'] - seg['start_frame']) // 2
        names = [f'{o["colors"][t]} {o["shape"]}' for o in seg['clip']['objects']
                 if o['visible'][min(t, len(o['visible']) - 1)]]
        if not names:
            return 'an empty dark scene'
        listed = [('an ' if n[0] in 'aeiou' else 'a ') + n for n in names]
        return listed[0] if len(listed) == 1 else ', '.join(listed[:-1]) + ' and ' + listed[-1]

    def caption_frames(self, video: dict[str, Any], frames: np.ndarray | None,
                       indices: list[int]) -> list[str]:
        """One caption per frame index."""
        return [self.frame_caption(video['key'], i) for i in indices]

    def summarize(self, video: dict[str, Any], captions: list[str], indices: list[int]) -> str:
        """The ground-truth caption of the segment most of ``indices`` fall in."""
        segs = Counter(self._segment(video['key'], i)['start_frame'] for i in indices)
        start = segs.most_common(1)[0][0]
        return self._segment(video['key'], start)['caption']


@CAPTION_BACKENDS.register_module()
class TransformersCaptioner:
    """transformers pipelines from local paths: an image captioner and a summariser.

    Args:
        captioner: ``dict(model=<local path>, task='image-text-to-text', prompt='',
            generate_kwargs={})`` (BLIP / BLIP-2 or any image-to-text model with a processor;
            ``prompt`` is the text given with each image, empty for plain captioning).
        summarizer: ``dict(model=<local path>, task='text-generation',
            prompt='summarize: ', generate_kwargs={})`` (T5 or any summariser); None joins
            the frame captions with ``'; '``.
        device: transformers device (-1 CPU, 0 first GPU, or ``'cuda:0'``).
        batch_size: Frames per captioner call.
    """

    needs_pixels = True

    def __init__(self, captioner: dict, summarizer: dict | None = None,
                 device: int | str = -1, batch_size: int = 8) -> None:
        from transformers import pipeline
        self.captioner_cfg = dict(captioner)
        path = resolve_local_path(self.captioner_cfg.get('model'),
                                  'captions.backend.captioner.model')
        self.captioner = pipeline(self.captioner_cfg.get('task', 'image-text-to-text'),
                                  model=path, device=device)
        self.summarizer_cfg = dict(summarizer or {})
        self.summarizer = None
        if summarizer is not None:
            spath = resolve_local_path(self.summarizer_cfg.get('model'),
                                       'captions.backend.summarizer.model')
            self.summarizer = pipeline(self.summarizer_cfg.get('task', 'text-generation'),
                                       model=spath, device=device)
        self.batch_size = batch_size

    @staticmethod
    def _text(out: Any) -> str:
        while isinstance(out, list):
            out = out[0]
        text = out.get('generated_text', '') if isinstance(out, dict) else str(out)
        if isinstance(text, list):  # chat-style output: the last message
            text = text[-1].get('content', '') if text else ''
        return str(text).strip()

    def caption_frames(self, video: dict[str, Any], frames: np.ndarray | None,
                       indices: list[int]) -> list[str]:
        from PIL import Image
        images = [Image.fromarray(f) for f in frames]
        kwargs = dict(generate_kwargs=self.captioner_cfg.get('generate_kwargs', {}))
        prompt = self.captioner_cfg.get('prompt') or ''  # the task needs a text per image
        out = []
        for s in range(0, len(images), self.batch_size):
            batch = images[s:s + self.batch_size]
            res = self.captioner(images=batch, text=[prompt] * len(batch), **kwargs)
            out += [self._text(r) for r in res]
        return out

    def summarize(self, video: dict[str, Any], captions: list[str], indices: list[int]) -> str:
        unique = list(dict.fromkeys(captions))
        if self.summarizer is None or len(unique) == 1:
            return '; '.join(unique)
        prompt = self.summarizer_cfg.get('prompt', 'summarize: ') + ' '.join(unique)
        res = self.summarizer(prompt, return_full_text=False,
                              **self.summarizer_cfg.get('generate_kwargs', {}))
        return self._text(res)


@CURATION_STAGES.register_module()
class MultiScaleCaptions(CurationStage):
    """Coarse (middle frame) and fine (``fine_fps`` frames + summary) captions per clip.

    Args:
        backend: A ``CAPTION_BACKENDS`` config (``OracleCaptioner`` / ``TransformersCaptioner``).
        fine_fps: Frame rate of the fine-scale frame captions (issue #142: 1 fps).
        caption_scale: Which scale becomes the official ``Caption`` field: ``'fine'`` (the
            summary, which describes the whole clip; default) or ``'coarse'``.
        scenes: Name of the scene-split stage whose clips are captioned.
    """

    default_name = 'captions'
    default_requires = ('scenes',)

    def __init__(self, backend: dict, fine_fps: float = 1.0, caption_scale: str = 'fine',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if caption_scale not in ('fine', 'coarse'):
            raise ValueError(f"caption_scale must be 'fine' or 'coarse', got {caption_scale!r}")
        if fine_fps <= 0:
            raise ValueError(f'fine_fps must be > 0, got {fine_fps}')
        self.backend_cfg = dict(backend)
        self.fine_fps = fine_fps
        self.caption_scale = caption_scale
        self.backend = None

    def setup(self) -> None:
        self.backend = CAPTION_BACKENDS.build(self.backend_cfg)

    def fine_indices(self, start: int, end: int, fps: float) -> list[int]:
        """Frames at ``fine_fps`` from the clip start (at least one)."""
        step = max(fps / self.fine_fps, 1.0)
        return sorted({min(start + int(round(k * step)), end - 1)
                       for k in range(max(int((end - start) / step), 1))})

    def process(self, video: dict[str, Any], inputs: dict[str, dict]) -> dict[str, Any]:
        scenes = inputs[self.requires[0]]
        reader = open_video(video['path']) if self.backend.needs_pixels else None
        out = dict(coarse=[], fine=[], Caption=[])
        try:
            for clip in scenes['clips']:
                s, e = clip['start_frame'], clip['end_frame']
                mid = [(s + e - 1) // 2]
                fine = self.fine_indices(s, e, scenes['fps'])
                frames = reader.get_frames(mid + fine) if reader else None
                caps = self.backend.caption_frames(video, frames, mid + fine)
                coarse = caps[0]
                summary = self.backend.summarize(video, caps[1:], fine)
                out['coarse'].append(coarse)
                out['fine'].append(summary)
                out['Caption'].append(summary if self.caption_scale == 'fine' else coarse)
        finally:
            if reader is not None:
                reader.close()
        return out
