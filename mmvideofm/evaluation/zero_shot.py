"""Zero-shot recognition with a video-text model: class names x prompt templates -> text
features, each video scored by the mean of its cosine similarities to a class's prompts (the
per-prompt ensembling of ViCLIP's evaluation), top-1 / top-5 and AVG = mean(top-1, top-5).

The metric reads ``video_feat`` (L2-normalised, ``(E,)``) and ``gt_label`` from each predicted
sample; the text side comes from the evaluated model's ``text_features(texts, normalize=True)``
-> ``(N, E)``, handed over by :class:`ZeroShotValLoop` / :class:`ZeroShotTestLoop` (they also
do what the retrieval loops do, so one evaluator may hold both kinds of metric).
"""
from __future__ import annotations

import os.path as osp
from collections.abc import Callable, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.model import is_model_wrapper

from mmvideofm.registry import LOOPS, METRICS

from .retrieval import VideoTextRetrievalTestLoop, VideoTextRetrievalValLoop

__all__ = ['ACTIONCLIP_TEMPLATES', 'ZeroShotClassificationMetric', 'ZeroShotValLoop',
           'ZeroShotTestLoop', 'build_prompts', 'zero_shot_scores', 'read_class_names']

#: ActionCLIP's 16 Kinetics templates (ViCLIP's zero-shot recognition uses them)
ACTIONCLIP_TEMPLATES = (
    'a photo of action {}', 'a picture of action {}', 'Human action of {}', '{}, an action',
    '{} this is an action', '{}, a video of action', 'Playing action of {}', '{}',
    'Playing a kind of action, {}', 'Doing a kind of action, {}', 'Look, the human is {}',
    'Can you recognize the action of {}?', 'Video classification of {}', 'A video of {}',
    'The man is {}', 'The woman is {}')

#: ``texts -> (N, E)`` L2-normalised text features
TextEncoder = Callable[[list[str]], torch.Tensor]


def read_class_names(source: str | Sequence[str]) -> list[str]:
    """Class names from a list, or a file with one name per line (an optional leading
    integer id and a comma/tab/space, as in label-map files, is removed)."""
    if not isinstance(source, str):
        return [str(c) for c in source]
    if not osp.isfile(source):
        raise FileNotFoundError(f'class-name file not found: {source!r} (one name per line)')
    names = []
    with open(source, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            head, sep, rest = line.replace('\t', ' ').replace(',', ' ', 1).partition(' ')
            names.append(rest.strip() if sep and head.isdigit() and rest.strip() else line)
    if not names:
        raise ValueError(f'class-name file {source!r} is empty')
    return names


def build_prompts(class_names: Sequence[str], templates: Sequence[str]) -> list[str]:
    """Class-major prompts: ``[t.format(c) for c in class_names for t in templates]``."""
    bad = [t for t in templates if '{}' not in t]
    if bad:
        raise ValueError(f'every template needs a "{{}}" for the class name; got {bad}')
    return [t.format(c) for c in class_names for t in templates]


def zero_shot_scores(video_feat: torch.Tensor, text_feat: torch.Tensor) -> torch.Tensor:
    """``(N, C)``: the mean over prompts of the cosine similarity of each video ``(N, E)`` to
    each class's prompts ``(C, P, E)`` (inputs L2-normalised)."""
    return torch.einsum('ne,cpe->ncp', video_feat, text_feat).mean(-1)


@METRICS.register_module()
class ZeroShotClassificationMetric(BaseMetric):
    """Zero-shot top-k accuracy (%) of a video-text model, with AVG = mean(top-1, top-5).

    Args:
        class_names: Names (list or file, one per line); None takes the dataset's
            ``metainfo['classes']``.
        templates: Prompt templates with ``{}`` (default: the 16 ActionCLIP ones).
        class_prompts: Instead of names x templates, each class's own prompts (lists of
            any lengths; a class's score is the mean over its prompts).
        topk: Cut-offs reported as ``top{k}``; ``avg`` needs 1 and 5.
        text_batch_size: Prompts per text-encoder call.
        collect_device / prefix: As ``BaseMetric`` (default prefix ``zero_shot``).
    """

    default_prefix = 'zero_shot'

    def __init__(self, class_names: str | Sequence[str] | None = None,
                 templates: Sequence[str] = ACTIONCLIP_TEMPLATES,
                 class_prompts: Sequence[Sequence[str]] | None = None,
                 topk: Sequence[int] = (1, 5), text_batch_size: int = 256,
                 collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.class_names = None if class_names is None else read_class_names(class_names)
        self.templates = tuple(templates)
        build_prompts(['x'], self.templates)  # checks the templates early
        self.class_prompts = None if class_prompts is None else [list(p) for p in class_prompts]
        if self.class_prompts is not None and not all(self.class_prompts):
            raise ValueError('class_prompts needs at least one prompt per class')
        self.topk = tuple(topk)
        self.text_batch_size = text_batch_size
        #: the evaluated model's ``text_features`` (set by the zero-shot loops)
        self.text_encoder: TextEncoder | None = None
        self._text_feat: torch.Tensor | None = None

    def classes(self) -> list[str]:
        names = self.class_names or list((self.dataset_meta or {}).get('classes') or [])
        if not names:
            raise ValueError('ZeroShotClassificationMetric needs class names: pass '
                             'class_names=[...] or a file, or use a dataset with '
                             "metainfo['classes']")
        return names

    def set_text_encoder(self, encoder: TextEncoder) -> None:
        """Use ``encoder`` for the prompts (cached features are dropped)."""
        self.text_encoder, self._text_feat = encoder, None

    @torch.no_grad()
    def class_text_features(self) -> list[torch.Tensor]:
        """Per class, its ``(P_c, E)`` normalised prompt features (computed once)."""
        if self._text_feat is None:
            if self.text_encoder is None:
                raise RuntimeError(
                    'no text encoder was handed to ZeroShotClassificationMetric: use '
                    "val_cfg=dict(type='ZeroShotValLoop') / test_cfg=dict(type="
                    "'ZeroShotTestLoop'), or call metric.set_text_encoder(model.text_features)")
            groups = self.class_prompts or [build_prompts([c], self.templates)
                                            for c in self.classes()]
            prompts = [p for group in groups for p in group]
            feats = torch.cat([self.text_encoder(prompts[i:i + self.text_batch_size]).float()
                               .cpu() for i in range(0, len(prompts), self.text_batch_size)])
            self._text_feat = list(feats.split([len(g) for g in groups]))
        return self._text_feat

    def process(self, data_batch, data_samples: Sequence) -> None:
        for s in data_samples:
            get = s.get if isinstance(s, dict) else (lambda k, d=None, s=s: s.get(k, d))
            feat, label = get('video_feat'), get('gt_label')
            if feat is None or label is None:
                raise KeyError('ZeroShotClassificationMetric needs video_feat and gt_label in '
                               'each prediction (a video-text model predict on a labelled '
                               'dataset)')
            self.results.append(dict(video_feat=feat.float().cpu().reshape(-1),
                                     label=int(torch.as_tensor(label).reshape(-1)[0])))

    def compute_metrics(self, results: list) -> dict[str, float]:
        video = torch.stack([r['video_feat'] for r in results])
        labels = torch.tensor([r['label'] for r in results])
        text = self.class_text_features()
        if len({t.shape[0] for t in text}) == 1:
            scores = zero_shot_scores(video, torch.stack(text))
        else:  # classes with different numbers of prompts
            scores = torch.stack([(video @ t.T).mean(1) for t in text], dim=1)
        out = {}
        ranks = scores.argsort(dim=1, descending=True)
        for k in self.topk:
            hit = (ranks[:, :min(k, scores.shape[1])] == labels[:, None]).any(1)
            out[f'top{k}'] = float(hit.float().mean() * 100)
        if 'top1' in out and 'top5' in out:
            out['avg'] = (out['top1'] + out['top5']) / 2
        return out


class _HandsTextEncoderToMetrics:
    """Gives each :class:`ZeroShotClassificationMetric` the evaluated model's
    ``text_features`` before the loop runs."""

    def run(self) -> dict:
        model = self.runner.model
        model = model.module if is_model_wrapper(model) else model
        for metric in self.evaluator.metrics:
            if isinstance(metric, ZeroShotClassificationMetric):
                if not hasattr(model, 'text_features'):
                    raise TypeError(f'{type(model).__name__} has no text_features(texts, '
                                    'normalize=True): it cannot run zero-shot recognition')
                metric.set_text_encoder(
                    lambda texts, model=model: model.text_features(texts, normalize=True))
        return super().run()


@LOOPS.register_module()
class ZeroShotValLoop(_HandsTextEncoderToMetrics, VideoTextRetrievalValLoop):
    """``ValLoop`` for zero-shot recognition (and retrieval) metrics."""


@LOOPS.register_module()
class ZeroShotTestLoop(_HandsTextEncoderToMetrics, VideoTextRetrievalTestLoop):
    """``TestLoop`` for zero-shot recognition (and retrieval) metrics."""
