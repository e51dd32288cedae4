"""The MVBench model interface and baselines.

:class:`MVBenchQA` is the registered model that ``tools/test.py`` and
``tools/mvbench/evaluate.py`` run: for every item it builds the official prompt and
asks an *answerer* (any registered module) either to

* ``generate(video, prompt) -> str``: the raw decoded generation of a video-LLM that
  continues ``prompt.text`` (post-processed with the official ``answer()`` chain), or
* ``score_options(video, prompt) -> Sequence[float]``: one score per candidate; the best
  becomes the generation ``"X) candidate"`` (as if the model continued ``Best option:(``).

``video`` is the ``(T, 3, H, W)`` float tensor of the official preprocessing.
"""
import time
import zlib
from collections.abc import Sequence

import numpy as np
import torch
from mmengine.model import BaseModel
from torch import nn

from mmvideofm.registry import MODELS

from .prompts import MVBenchPrompt, build_template, option_letter
from .scoring import answer_text, make_pred

__all__ = [
    'MVBenchQA', 'MVBenchAnswerer', 'MVBenchRandomChoice', 'MVBenchOracle',
    'MVBenchConstant', 'FrameAblation',
]


class MVBenchAnswerer(nn.Module):
    """Base class for answerers (implement ``generate`` or ``score_options``)."""

    def generate(self, video: torch.Tensor, prompt: MVBenchPrompt) -> str | None:
        raise NotImplementedError

    def score_options(self, video: torch.Tensor, prompt: MVBenchPrompt) -> Sequence[float]:
        raise NotImplementedError

    @property
    def can_generate(self) -> bool:
        return type(self).generate is not MVBenchAnswerer.generate


def _can_generate(answerer) -> bool:
    if isinstance(answerer, MVBenchAnswerer):
        return answerer.can_generate
    return callable(getattr(answerer, 'generate', None))


@MODELS.register_module()
class MVBenchQA(BaseModel):
    """Runs an answerer over MVBench items and returns prediction records.

    Args:
        answerer: config (or module) of the model that answers.
        template: prompt template, ``dict(style='vicuna'|'mistral_inst', **overrides)``.
        mode: ``'auto'`` (generate if the answerer can, else score options),
            ``'generate'`` or ``'score'``.
    """

    def __init__(self, answerer: dict | nn.Module, template: dict | None = None,
                 mode: str = 'auto', data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.answerer = MODELS.build(answerer) if isinstance(answerer, dict) else answerer
        self.template = build_template(template)
        if mode not in ('auto', 'generate', 'score'):
            raise ValueError("mode must be 'auto', 'generate' or 'score'")
        self.mode = mode

    def forward(self, inputs, data_samples=None, mode: str = 'predict'):
        if mode != 'predict':
            raise NotImplementedError('MVBenchQA is evaluation-only (mode="predict")')
        if isinstance(inputs, torch.Tensor):  # a stacked batch (B, T, 3, H, W)
            inputs = list(inputs)
        return [self.answer(v, ds) for v, ds in zip(inputs, data_samples)]

    @torch.no_grad()
    def answer(self, video: torch.Tensor | None, sample: dict) -> dict:
        """One prediction record for one item (``sample``: item dict or data element)."""
        if hasattr(sample, 'metainfo'):
            sample = dict(sample.metainfo)
        rec = dict(qid=sample['qid'], task=sample['task'], index=sample.get('index'),
                   video=sample.get('video'), answer_string=sample['answer_string'],
                   answer_letter=sample['answer_letter'], num_options=sample['num_options'])
        if video is None or sample.get('video_error'):
            rec.update(status='unreadable', error=sample.get('video_error', 'no video'),
                       pred=None, raw=None, empty=False)
            return rec
        prompt = self.template.build(sample['question'], sample['candidates'], meta=sample)
        use_gen = self.mode == 'generate' or (self.mode == 'auto'
                                              and _can_generate(self.answerer))
        if use_gen:
            raw = self.answerer.generate(video, prompt)
            raw = '' if raw is None else str(raw)
            text = answer_text(raw, sep=self.template.sep, assistant_role=self.template.roles[1])
        else:
            scores = [float(s) for s in self.answerer.score_options(video, prompt)]
            if len(scores) != len(prompt.candidates):
                raise ValueError(f'{sample["qid"]}: score_options returned {len(scores)} scores '
                                 f'for {len(prompt.candidates)} candidates')
            best = int(np.argmax(scores))
            raw = text = f'{option_letter(best)}) {prompt.candidates[best]}'
        pred = make_pred(text, self.template.return_prompt)
        rec.update(status='ok', pred=pred, raw=raw, empty=(text.strip() == ''))
        return rec


def _item_seed(seed: int, key: str) -> int:
    return (zlib.crc32(key.encode()) ^ (seed * 0x9E3779B1)) & 0xFFFFFFFF


@MODELS.register_module()
class MVBenchRandomChoice(MVBenchAnswerer):
    """Uniformly random option, deterministic per (seed, question) and shard-independent.

    ``delay_s`` simulates a slow model (used to test interrupted runs); it does not change
    the answers, so resuming ignores it (``fingerprint_exclude``)."""

    fingerprint_exclude = ('delay_s', )

    def __init__(self, seed: int = 0, delay_s: float = 0.0) -> None:
        super().__init__()
        self.seed = seed
        self.delay_s = delay_s

    def score_options(self, video, prompt):
        if self.delay_s:
            time.sleep(self.delay_s)
        rng = np.random.default_rng(_item_seed(self.seed, prompt.meta.get('qid', '')))
        return rng.random(len(prompt.candidates)).tolist()


@MODELS.register_module()
class MVBenchOracle(MVBenchAnswerer):
    """Answers with the ground truth (harness self-check: must score 100%)."""

    def generate(self, video, prompt):
        letter = prompt.meta['answer_letter']
        return f'{letter}) {prompt.meta["answer"]}###'


@MODELS.register_module()
class MVBenchConstant(MVBenchAnswerer):
    """Always returns the same raw generation (``''`` = a model that returns nothing)."""

    def __init__(self, output: str | None = '') -> None:
        super().__init__()
        self.output = output

    def generate(self, video, prompt):
        return self.output


@MODELS.register_module()
class FrameAblation(MVBenchAnswerer):
    """Feeds a registered answerer all frames or a single frame (repeated to keep ``T``).

    The ``'single'`` / ``'all'`` pair of the same model measures its temporal gap.

    Args:
        model: the wrapped answerer config.
        frames: ``'all'`` or ``'single'``.
        frame_index: which frame ``'single'`` keeps (``None`` = the middle one).
    """

    def __init__(self, model: dict, frames: str = 'single', frame_index: int | None = None
                 ) -> None:
        super().__init__()
        if frames not in ('single', 'all'):
            raise ValueError("frames must be 'single' or 'all'")
        self.model = MODELS.build(model) if isinstance(model, dict) else model
        self.frames = frames
        self.frame_index = frame_index

    def _ablate(self, video: torch.Tensor) -> torch.Tensor:
        if self.frames == 'all':
            return video
        t = video.shape[0]
        i = t // 2 if self.frame_index is None else self.frame_index
        return video[i:i + 1].expand_as(video).clone()  # (T, 3, H, W), all frame i

    @property
    def can_generate(self) -> bool:
        return _can_generate(self.model)

    def generate(self, video, prompt):
        return self.model.generate(self._ablate(video), prompt)

    def score_options(self, video, prompt):
        return self.model.score_options(self._ablate(video), prompt)
