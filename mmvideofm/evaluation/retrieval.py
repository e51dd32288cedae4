"""Zero-shot video-text retrieval: R@1/5/10 in both directions from a similarity matrix, the
official VTM re-ranking hook (UMT ``multi_modality/tasks/retrieval_utils.py`` ``evaluation``)
and the dual-softmax scores (ViCLIP's ``evaluation_video_clip``). Named ``VideoText*``:
mmaction2 registers a ``RetrievalMetric`` and retrieval loops of its own."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop, ValLoop

from mmvideofm.models.losses import video_text_similarity
from mmvideofm.registry import LOOPS, METRICS

__all__ = ['VideoTextRetrievalMetric', 'retrieval_recall', 'dual_softmax',
           'VideoTextRetrievalValLoop', 'VideoTextRetrievalTestLoop']

#: Re-ranker ``(sim_v2t, vision_embeds, text_embeds, text_atts) -> (score_v2t, score_t2v)``
Reranker = Callable[..., tuple[torch.Tensor, torch.Tensor]]


def retrieval_recall(sim_t2v: torch.Tensor, ks: Sequence[int] = (1, 5, 10),
                     text_to_video: torch.Tensor | None = None,
                     sim_v2t: torch.Tensor | None = None) -> dict[str, float]:
    """Recall@K (%) from a text x video score matrix.

    ``text_to_video[i]`` is the video of text ``i`` (default: the i-th video). Text->video
    ranks each text's video; video->text counts a hit when any of the video's texts is in
    the top K (the official protocol for several captions per video). Video->text ranks
    ``sim_v2t`` ``(n_v, n_t)`` when given (re-ranked scores differ per direction), else
    ``sim_t2v.T``.
    """
    n_t, n_v = sim_t2v.shape
    if sim_v2t is None:
        sim_v2t = sim_t2v.T
    elif sim_v2t.shape != (n_v, n_t):
        raise ValueError(f'sim_v2t is {tuple(sim_v2t.shape)}, expected {(n_v, n_t)}')
    gt = torch.arange(n_t) if text_to_video is None else text_to_video.long()
    out = {}
    # text -> video: rank of the ground-truth video
    order = sim_t2v.argsort(dim=1, descending=True)
    rank_t2v = (order == gt[:, None]).float().argmax(dim=1)
    # video -> text: best rank among the video's texts
    order_v = sim_v2t.argsort(dim=1, descending=True)  # (n_v, n_t)
    hit = gt[order_v] == torch.arange(n_v)[:, None]
    rank_v2t = hit.float().argmax(dim=1)
    for k in ks:
        out[f't2v_R@{k}'] = float((rank_t2v < k).float().mean() * 100)
        out[f'v2t_R@{k}'] = float((rank_v2t < k).float().mean() * 100)
    out['t2v_MdR'] = float(rank_t2v.float().median() + 1)
    out['v2t_MdR'] = float(rank_v2t.float().median() + 1)
    out['mean_R'] = sum(out[f'{d}_R@{k}'] for d in ('t2v', 'v2t') for k in ks) / (2 * len(ks))
    return out


def dual_softmax(sim_v2t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Dual-softmax scores (as ViCLIP's evaluation): each direction's similarities times
    their softmax over the *other* modality, ``sim * softmax(sim, dim=0)``.

    Returns ``(score_v2t (n_v, n_t), score_t2v (n_t, n_v))``: a text is ranked higher for a
    video when that video is also the text's best match among all videos.
    """
    sim_t2v = sim_v2t.T
    return sim_v2t * sim_v2t.softmax(dim=0), sim_t2v * sim_t2v.softmax(dim=0)


_TOKEN_KEYS = ('vision_embeds', 'text_embeds', 'text_atts')


@METRICS.register_module()
class VideoTextRetrievalMetric(BaseMetric):
    """R@1/5/10 text->video and video->text from a video-text model's ``predict`` outputs.

    The contrastive (VTC) similarity is the cosine per frame, averaged over frames (UMT's
    ``get_sim``). Samples with the same ``video_idx`` metainfo share one video (several
    captions); without it each sample is its own pair.

    When the predictions carry token features (the model was built with ``k_test``), the
    official protocol applies: each query's top ``k_test`` VTC candidates are re-scored by
    the model's VTM head (``VideoTextPretrainer.itm_rerank``, handed over by
    :class:`VideoTextRetrievalValLoop` / :class:`VideoTextRetrievalTestLoop`). Keys then
    follow the official ``<name>/`` (re-ranked) and ``<name>_emb/`` (VTC only). Without token
    features ``<name>/`` is the VTC ranking. ``dual_softmax=True`` adds ``<name>_dsl/`` from
    the dual-softmax of the VTC similarities. The re-ranking runs on the main process, on the
    model's device.

    Args:
        ks: Recall cut-offs.
        dual_softmax: Also report the dual-softmax family (ViCLIP).
        collect_device / prefix: As ``BaseMetric`` (default prefix ``retrieval``).
    """

    default_prefix = 'retrieval'

    def __init__(self, ks: Sequence[int] = (1, 5, 10), dual_softmax: bool = False,
                 collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ks = tuple(ks)
        self.dual_softmax = dual_softmax
        #: the evaluated model's ``itm_rerank`` (set by the retrieval loops)
        self.itm_rerank: Reranker | None = None

    def process(self, data_batch, data_samples: Sequence) -> None:
        for s in data_samples:
            get = s.get if isinstance(s, dict) else (lambda k, d=None, s=s: s.get(k, d))
            meta = s.get('metainfo', {}) if isinstance(s, dict) else s.metainfo
            result = dict(video_feat=get('video_feat').cpu(), text_feat=get('text_feat').cpu(),
                          video_idx=meta.get('video_idx', get('video_idx')))
            if get('vision_embeds') is not None:
                result.update({k: get(k).cpu() for k in _TOKEN_KEYS})
            self.results.append(result)

    def compute_metrics(self, results: list) -> dict[str, float]:
        text = torch.stack([r['text_feat'] for r in results])
        if all(r['video_idx'] is not None for r in results):
            ids = [int(r['video_idx']) for r in results]
            uniq = sorted(set(ids))
            first = {v: ids.index(v) for v in uniq}
            videos = [first[v] for v in uniq]  # one sample per video
            gt = torch.tensor([uniq.index(v) for v in ids])
        else:
            videos = list(range(len(results)))
            gt = None
        video = torch.stack([results[i]['video_feat'] for i in videos])
        sim_v2t, sim_t2v = video_text_similarity(video.float(), text.float())
        emb = retrieval_recall(sim_t2v, self.ks, gt)
        extra = {}
        if self.dual_softmax:
            dsl_v2t, dsl_t2v = dual_softmax(sim_v2t)
            extra = {f'dsl/{k}': v for k, v in
                     retrieval_recall(dsl_t2v, self.ks, gt, sim_v2t=dsl_v2t).items()}
        if 'vision_embeds' not in results[0]:
            return {**emb, **extra}
        if self.itm_rerank is None:
            raise RuntimeError(
                'the predictions carry token features (model k_test is set) but no VTM scorer '
                "was handed to VideoTextRetrievalMetric: use val_cfg=dict(type="
                "'VideoTextRetrievalValLoop') / test_cfg=dict(type='VideoTextRetrievalTestLoop'), "
                'or set metric.itm_rerank = model.itm_rerank')
        score_v2t, score_t2v = self.itm_rerank(
            sim_v2t, [results[i]['vision_embeds'] for i in videos],
            torch.stack([r['text_embeds'] for r in results]),
            torch.stack([r['text_atts'] for r in results]))
        out = retrieval_recall(score_t2v, self.ks, gt, sim_v2t=score_v2t)
        out.update({f'emb/{k}': v for k, v in emb.items()})
        return {**out, **extra}

    def evaluate(self, size: int) -> dict:
        """BaseMetric's, with the families renamed from ``<prefix>/<family>/<key>`` to the
        official ``<prefix>_<family>/<key>`` (``retrieval_emb/t2v_R@1``)."""
        metrics = super().evaluate(size)
        out = {}
        for key, value in metrics.items():
            head, _, rest = key.partition('/')
            family, sep, name = rest.partition('/')
            out[f'{head}_{family}/{name}' if sep and family in ('emb', 'dsl') else key] = value
        return out


class _HandsRerankerToMetrics:
    """Gives each :class:`VideoTextRetrievalMetric` the evaluated model's ``itm_rerank``
    before the loop runs: the re-ranking needs every video and text, so it can only run when
    the metric has collected them (``compute_metrics``)."""

    def run(self) -> dict:
        model = self.runner.model
        model = model.module if is_model_wrapper(model) else model
        for metric in self.evaluator.metrics:
            if isinstance(metric, VideoTextRetrievalMetric) and hasattr(model, 'itm_rerank'):
                metric.itm_rerank = model.itm_rerank
        return super().run()


@LOOPS.register_module()
class VideoTextRetrievalValLoop(_HandsRerankerToMetrics, ValLoop):
    """``ValLoop`` whose retrieval metrics can re-rank with the model's VTM head."""


@LOOPS.register_module()
class VideoTextRetrievalTestLoop(_HandsRerankerToMetrics, TestLoop):
    """``TestLoop`` whose retrieval metrics can re-rank with the model's VTM head."""
