"""Zero-shot video-text retrieval metric: R@1/5/10 in both directions, VTC ranking and the
official VTM re-ranking (``multi_modality/tasks/retrieval_utils.py`` ``evaluation``)."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop, ValLoop

from mmvideofm.models.losses import video_text_similarity
from mmvideofm.registry import LOOPS, METRICS

__all__ = ['UMTRetrievalMetric', 'retrieval_recall', 'UMTRetrievalValLoop',
           'UMTRetrievalTestLoop']


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


_TOKEN_KEYS = ('vision_embeds', 'text_embeds', 'text_atts')


@METRICS.register_module()
class UMTRetrievalMetric(BaseMetric):
    """R@1/5/10 text->video and video->text from ``UMTVideoText.predict`` outputs.

    The VTC similarity is UMT's: cosine per frame, averaged over frames (``get_sim``).
    Samples with the same ``video_idx`` metainfo share one video (several captions); without
    it each sample is its own pair.

    When the predictions carry token features (the model was built with ``k_test``), the
    official protocol applies: each query's top ``k_test`` VTC candidates are re-scored by
    the model's VTM head (``UMTVideoText.itm_rerank``, handed over by
    :class:`UMTRetrievalValLoop` / :class:`UMTRetrievalTestLoop`). Keys then follow the
    official ``<name>/`` (re-ranked) and ``<name>_emb/`` (VTC only): ``retrieval/t2v_R@1``
    is re-ranked and ``retrieval_emb/t2v_R@1`` is the VTC ranking. Without token features
    only ``retrieval/*`` is reported, from the VTC ranking. The re-ranking runs on the main
    process, on the model's device.
    """

    default_prefix = 'retrieval'

    def __init__(self, ks: Sequence[int] = (1, 5, 10), collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ks = tuple(ks)
        #: ``UMTVideoText.itm_rerank`` of the evaluated model (set by the retrieval loops)
        self.itm_rerank: Callable | None = None

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
        if 'vision_embeds' not in results[0]:
            return emb
        if self.itm_rerank is None:
            raise RuntimeError(
                'the predictions carry token features (model k_test is set) but no VTM scorer '
                'was handed to UMTRetrievalMetric: use val_cfg=dict(type='
                "'UMTRetrievalValLoop') / test_cfg=dict(type='UMTRetrievalTestLoop'), or "
                'set metric.itm_rerank = model.itm_rerank')
        score_v2t, score_t2v = self.itm_rerank(
            sim_v2t, [results[i]['vision_embeds'] for i in videos],
            torch.stack([r['text_embeds'] for r in results]),
            torch.stack([r['text_atts'] for r in results]))
        out = retrieval_recall(score_t2v, self.ks, gt, sim_v2t=score_v2t)
        out.update({f'emb/{k}': v for k, v in emb.items()})
        return out

    def evaluate(self, size: int) -> dict:
        """BaseMetric's, with the VTC family of a re-ranked evaluation renamed from
        ``<prefix>/emb/<key>`` to the official ``<prefix>_emb/<key>``."""
        metrics = super().evaluate(size)
        head = f'{self.prefix}/emb/'
        return {(f'{self.prefix}_emb/{k[len(head):]}' if k.startswith(head) else k): v
                for k, v in metrics.items()}


class _HandsScorerToMetrics:
    """Gives each :class:`UMTRetrievalMetric` the evaluated model's ``itm_rerank`` before
    the loop runs: the VTM re-ranking needs every video and text, so it can only run when
    the metric has collected them (``compute_metrics``)."""

    def run(self) -> dict:
        model = self.runner.model
        model = model.module if is_model_wrapper(model) else model
        for metric in self.evaluator.metrics:
            if isinstance(metric, UMTRetrievalMetric) and hasattr(model, 'itm_rerank'):
                metric.itm_rerank = model.itm_rerank
        return super().run()


@LOOPS.register_module()
class UMTRetrievalValLoop(_HandsScorerToMetrics, ValLoop):
    """``ValLoop`` whose retrieval metrics can re-rank with the model's VTM head."""


@LOOPS.register_module()
class UMTRetrievalTestLoop(_HandsScorerToMetrics, TestLoop):
    """``TestLoop`` whose retrieval metrics can re-rank with the model's VTM head."""
