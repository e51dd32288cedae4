"""Zero-shot video-text retrieval metric: R@1/5/10 in both directions."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from mmengine.evaluator import BaseMetric

from mmvideofm.models.losses import video_text_similarity
from mmvideofm.registry import METRICS

__all__ = ['UMTRetrievalMetric', 'retrieval_recall']


def retrieval_recall(sim_t2v: torch.Tensor, ks: Sequence[int] = (1, 5, 10),
                     text_to_video: torch.Tensor | None = None) -> dict[str, float]:
    """Recall@K (%) from a text x video similarity matrix.

    ``text_to_video[i]`` is the video of text ``i`` (default: the i-th video). Text->video
    ranks each text's video; video->text counts a hit when any of the video's texts is in
    the top K (the official protocol for several captions per video).
    """
    n_t, n_v = sim_t2v.shape
    gt = torch.arange(n_t) if text_to_video is None else text_to_video.long()
    out = {}
    # text -> video: rank of the ground-truth video
    order = sim_t2v.argsort(dim=1, descending=True)
    rank_t2v = (order == gt[:, None]).float().argmax(dim=1)
    # video -> text: best rank among the video's texts
    order_v = sim_t2v.T.argsort(dim=1, descending=True)  # (n_v, n_t)
    hit = gt[order_v] == torch.arange(n_v)[:, None]
    rank_v2t = hit.float().argmax(dim=1)
    for k in ks:
        out[f't2v_R@{k}'] = float((rank_t2v < k).float().mean() * 100)
        out[f'v2t_R@{k}'] = float((rank_v2t < k).float().mean() * 100)
    out['t2v_MdR'] = float(rank_t2v.float().median() + 1)
    out['v2t_MdR'] = float(rank_v2t.float().median() + 1)
    out['mean_R'] = sum(out[f'{d}_R@{k}'] for d in ('t2v', 'v2t') for k in ks) / (2 * len(ks))
    return out


@METRICS.register_module()
class UMTRetrievalMetric(BaseMetric):
    """R@1/5/10 text->video and video->text from ``video_feat`` / ``text_feat`` predictions.

    Similarity is UMT's: cosine per frame, averaged over frames (``get_sim``). Samples with
    the same ``video_idx`` metainfo share one video (several captions); without it each
    sample is its own pair. The official evaluation further re-ranks the top ``k_test`` with
    the VTM head; this metric reports the contrastive (VTC) ranking.
    """

    default_prefix = 'retrieval'

    def __init__(self, ks: Sequence[int] = (1, 5, 10), collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ks = tuple(ks)

    def process(self, data_batch, data_samples: Sequence) -> None:
        for s in data_samples:
            get = s.get if isinstance(s, dict) else (lambda k, d=None, s=s: s.get(k, d))
            meta = s.get('metainfo', {}) if isinstance(s, dict) else s.metainfo
            self.results.append(dict(video_feat=get('video_feat').cpu(),
                                     text_feat=get('text_feat').cpu(),
                                     video_idx=meta.get('video_idx', get('video_idx'))))

    def compute_metrics(self, results: list) -> dict[str, float]:
        text = torch.stack([r['text_feat'] for r in results])
        if all(r['video_idx'] is not None for r in results):
            ids = [int(r['video_idx']) for r in results]
            uniq = sorted(set(ids))
            first = {v: ids.index(v) for v in uniq}
            video = torch.stack([results[first[v]]['video_feat'] for v in uniq])
            gt = torch.tensor([uniq.index(v) for v in ids])
        else:
            video = torch.stack([r['video_feat'] for r in results])
            gt = None
        _, sim_t2v = video_text_similarity(video.float(), text.float())
        return retrieval_recall(sim_t2v, self.ks, gt)
