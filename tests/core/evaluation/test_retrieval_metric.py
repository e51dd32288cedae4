"""VideoTextRetrievalMetric: recall from hand-made matrices, several captions per video, dual
softmax, the re-ranked / VTC / dual-softmax key families."""
import pytest
import torch

from mmvideofm.evaluation import VideoTextRetrievalMetric, dual_softmax, retrieval_recall


def test_recall_from_hand_made_matrices():
    # text x video: text 0 -> video 1 first (miss at 1, hit at 2), text 1 -> video 1 (hit),
    # text 2 -> video 2 (hit): t2v R@1 = 2/3, R@2 = 1
    t2v = torch.tensor([[0.5, 0.9, 0.1], [0.1, 0.8, 0.2], [0.3, 0.2, 0.7]])
    # video x text, scored separately: video 0 ranks texts 2, 1, 0 (rank 3); video 1 ranks
    # text 1 first (hit); video 2 ranks text 0, then 2 (rank 2): v2t R@1 = 1/3, R@2 = 2/3
    v2t = torch.tensor([[0.1, 0.2, 0.3], [0.0, 0.9, 0.1], [0.8, 0.1, 0.6]])
    r = retrieval_recall(t2v, ks=(1, 2, 3), sim_v2t=v2t)
    assert r['t2v_R@1'] == pytest.approx(200 / 3) and r['t2v_R@2'] == 100.
    assert r['v2t_R@1'] == pytest.approx(100 / 3) and r['v2t_R@2'] == pytest.approx(200 / 3)
    assert r['v2t_R@3'] == 100. and r['t2v_MdR'] == 1. and r['v2t_MdR'] == 2.
    assert r['mean_R'] == pytest.approx((200 / 3 + 100 + 100 + 100 / 3 + 200 / 3 + 100) / 6)
    # without sim_v2t the video->text direction ranks t2v.T: video 0's column 0.5, 0.1, 0.3
    assert retrieval_recall(t2v, ks=(1, ))['v2t_R@1'] == pytest.approx(200 / 3)
    # several captions per video: texts 0 and 1 are both video 1's (video 0 has none)
    r2 = retrieval_recall(t2v, ks=(1, ), text_to_video=torch.tensor([1, 1, 2]), sim_v2t=v2t)
    assert r2['t2v_R@1'] == 100. and r2['v2t_R@1'] == pytest.approx(200 / 3)
    with pytest.raises(ValueError, match='sim_v2t'):
        retrieval_recall(t2v, sim_v2t=v2t[:2])


def test_dual_softmax_hand_computed():
    sim = torch.tensor([[0.9, 0.8], [0.85, 0.1]])  # video x text
    v2t, t2v = dual_softmax(sim)
    col = sim.softmax(dim=0)  # each text's distribution over videos
    assert v2t[0, 1] == pytest.approx(0.8 * col[0, 1].item())
    row = sim.T.softmax(dim=0)  # each video's distribution over texts
    assert t2v[1, 0] == pytest.approx(0.8 * row[1, 0].item())
    torch.testing.assert_close(v2t, sim * col)
    torch.testing.assert_close(t2v, sim.T * row)


def test_dual_softmax_fixes_a_hub_video():
    """Video 0 is everyone's nearest neighbour (a hub): plain t2v R@1 = 1/3; dual softmax
    spreads the texts back to their own videos (ViCLIP's motivation)."""
    sim = torch.tensor([[0.9, 0.85, 0.8], [0.1, 0.8, 0.0], [0.0, 0.1, 0.7]])  # video x text
    plain = retrieval_recall(sim.T, ks=(1, ))
    v2t, t2v = dual_softmax(sim * 20)
    dsl = retrieval_recall(t2v, ks=(1, ), sim_v2t=v2t)
    assert plain['t2v_R@1'] == pytest.approx(100 / 3)
    assert dsl['t2v_R@1'] == 100.


def _samples(feats_v, feats_t, video_idx=None):
    out = []
    for i in range(len(feats_t)):
        s = dict(video_feat=feats_v[i], text_feat=feats_t[i])
        if video_idx is not None:
            s['metainfo'] = dict(video_idx=video_idx[i])
        out.append(s)
    return out


def test_metric_families_and_dual_softmax_keys():
    torch.manual_seed(0)
    feats = torch.nn.functional.normalize(torch.randn(6, 8), dim=-1)
    metric = VideoTextRetrievalMetric(ks=(1, 5), dual_softmax=True)
    metric.process(None, _samples(feats[:, None], feats))
    out = metric.evaluate(6)
    assert out['retrieval/t2v_R@1'] == 100. and out['retrieval/v2t_R@1'] == 100.
    assert {'retrieval_dsl/t2v_R@1', 'retrieval_dsl/mean_R'} <= set(out)
    assert not any(k.startswith('retrieval/dsl') for k in out)


def test_metric_reranks_with_the_handed_scorer():
    """Token features present: ``retrieval/`` is the scorer's ranking, ``retrieval_emb/`` VTC."""
    torch.manual_seed(0)
    feats = torch.nn.functional.normalize(torch.randn(4, 8), dim=-1)
    samples = _samples(feats[:, None], feats)
    for s in samples:
        s.update(vision_embeds=torch.zeros(2, 3), text_embeds=torch.zeros(2, 3),
                 text_atts=torch.ones(2))
    metric = VideoTextRetrievalMetric(ks=(1, ))
    metric.process(None, samples)
    with pytest.raises(RuntimeError, match='VideoTextRetrievalValLoop'):
        metric.compute_metrics(metric.results)
    calls = []

    def reverse(sim_v2t, vision, text, atts):  # ranks every pair backwards
        calls.append((sim_v2t.shape, len(vision), text.shape))
        return -sim_v2t, -sim_v2t.T

    metric.itm_rerank = reverse
    out = metric.evaluate(4)
    assert calls == [(torch.Size([4, 4]), 4, torch.Size([4, 2, 3]))]
    assert out['retrieval_emb/t2v_R@1'] == 100. and out['retrieval/t2v_R@1'] == 0.


def test_metric_several_captions_per_video():
    """Samples sharing ``video_idx`` are one video; v2t hits any of its captions."""
    v = torch.eye(3)[:, None]  # 3 videos (one frame each)
    t = torch.eye(3)[[0, 0, 1, 2]]  # 4 captions: two of video 0
    vids = [v[0], v[0], v[1], v[2]]
    metric = VideoTextRetrievalMetric(ks=(1, ))
    metric.process(None, _samples(vids, t, video_idx=[10, 10, 11, 12]))
    out = metric.evaluate(4)
    assert out['retrieval/t2v_R@1'] == 100. and out['retrieval/v2t_R@1'] == 100.
