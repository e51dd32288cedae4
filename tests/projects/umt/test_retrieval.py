"""UMT zero-shot retrieval: the official VTM re-ranking (``k_test``), recall from hand-made
score matrices, and the synthetic stage-2 validation through the runner."""
import os.path as osp

import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import BaseDataElement

import projects.umt  # noqa: F401
from mmvideofm.evaluation import VideoTextRetrievalMetric, retrieval_recall
from mmvideofm.models.losses import video_text_similarity
from mmvideofm.registry import MODELS

init_default_scope('mmvideofm')

CAPTIONS = ['a red circle moves up', 'a green cross moves down-left',
            'a yellow triangle moves right while a blue square stays still',
            'a white square moves up-right', 'a cyan circle moves left',
            'a red cross moves down']


def _model(**kw):
    cfg = dict(
        type='UMTVideoText',
        backbone=dict(type='UMTViT', arch=dict(patch_size=8, embed_dim=32, depth=2, num_heads=2,
                                               mlp_ratio=4.), img_size=32, num_frames=4,
                      pos_embed_base_thw=None, use_mean_pooling=False),
        teacher=None,
        text_encoder=dict(type='BertFusionEncoder',
                          config=dict(vocab_size=64, hidden_size=32, num_hidden_layers=3,
                                      num_attention_heads=2, intermediate_size=64,
                                      max_position_embeddings=24), fusion_layer=2),
        tokenizer=dict(type='BertTokenizer', vocab='synthetic'), embed_dim=16, max_txt_len=16,
        seed=0)
    cfg.update(kw)
    torch.manual_seed(0)
    model = MODELS.build(cfg).eval()
    with torch.no_grad():  # BERT's init (std 0.02) scores every pair ~equally: spread it
        for module in model.text_encoder.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.normal_(std=0.3)
        model.itm_head.weight.mul_(10)
    return model


def _features(model, n=6, captions=CAPTIONS):
    """Predictions of ``n`` random clips with ``captions`` (tokens included when k_test)."""
    samples = [BaseDataElement(metainfo=dict(caption=c)) for c in captions[:n]]
    return model.predict(torch.randn(n, 3, 4, 32, 32, generator=torch.Generator().manual_seed(1)),
                         samples)


def _stack(samples, key):
    return torch.stack([s.get(key) for s in samples])


def _brute_force_itm(model, samples):
    """VTM match logit of every (video, text) pair, one fusion forward per pair."""
    n = len(samples)
    out = torch.empty(n, n)
    with torch.no_grad():
        for v in range(n):
            for t in range(n):
                logits = model.fusion_logits(samples[t].text_embeds[None],
                                             samples[t].text_atts[None],
                                             samples[v].vision_embeds[None])
                out[v, t] = logits[0, 1]
    return out


def test_predict_returns_tokens_only_with_k_test():
    plain = _features(_model(), n=2)
    assert set(plain[0].keys()) == {'video_feat', 'text_feat'}
    samples = _features(_model(k_test=4), n=2)
    assert samples[0].vision_embeds.shape == (4 * 16, 32)  # every frame's tokens (concat)
    assert samples[0].text_embeds.shape == (16, 32) and samples[0].text_atts.shape == (16, )
    with pytest.raises(ValueError, match='k_test'):
        _model(k_test=-1)


@pytest.mark.parametrize('k_test', [6, 128])
def test_rerank_with_all_candidates_is_brute_force_itm(k_test):
    """k_test >= #candidates: both directions are the VTM logit of every pair."""
    model = _model(k_test=k_test)
    samples = _features(model)
    sim_v2t, _ = video_text_similarity(_stack(samples, 'video_feat'),
                                       _stack(samples, 'text_feat'))
    score_v2t, score_t2v = model.itm_rerank(
        sim_v2t, _stack(samples, 'vision_embeds'), _stack(samples, 'text_embeds'),
        _stack(samples, 'text_atts'), batch_size=4)  # 36 pairs: 9 batches
    ref = _brute_force_itm(model, samples)
    assert ref.std() > 0.1  # the pairs really differ
    torch.testing.assert_close(score_v2t, ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(score_t2v, ref.T, atol=1e-5, rtol=1e-5)
    # the video tokens may also come as a list (what the metric hands over)
    v2t_list, _ = model.itm_rerank(sim_v2t, [s.vision_embeds for s in samples],
                                   _stack(samples, 'text_embeds'), _stack(samples, 'text_atts'))
    torch.testing.assert_close(v2t_list, ref, atol=1e-5, rtol=1e-5)


def test_rerank_top_k_only():
    """Small k_test: only each query's VTC top-k is scored, the rest is the fill value, and
    the re-ranked top-1 is always one of the VTC top-k."""
    k = 2
    model = _model(k_test=k)
    samples = _features(model)
    sim_v2t, _ = video_text_similarity(_stack(samples, 'video_feat'),
                                       _stack(samples, 'text_feat'))
    score_v2t, score_t2v = model.itm_rerank(
        sim_v2t, _stack(samples, 'vision_embeds'), _stack(samples, 'text_embeds'),
        _stack(samples, 'text_atts'))
    ref = _brute_force_itm(model, samples)
    for score, sim, full in ((score_v2t, sim_v2t, ref), (score_t2v, sim_v2t.T, ref.T)):
        top = sim.topk(k, dim=1).indices
        in_top = torch.zeros_like(score, dtype=torch.bool).scatter_(1, top, True)
        assert (score[~in_top] == model.itm_fill).all()
        torch.testing.assert_close(score[in_top], full[in_top], atol=1e-5, rtol=1e-5)
        assert in_top.gather(1, score.argmax(1, keepdim=True)).all()
    # the directions are scored separately: a pair can be in one top-k only
    assert not torch.equal(score_v2t == model.itm_fill, score_t2v.T == model.itm_fill)


def test_metric_reports_both_families():
    model = _model(k_test=3)
    samples = _features(model)
    metric = VideoTextRetrievalMetric(ks=(1, 5))
    metric.dataset_meta = {}
    metric.process(None, samples)
    with pytest.raises(RuntimeError, match='VideoTextRetrievalValLoop'):
        metric.compute_metrics(metric.results)
    metric.itm_rerank = model.itm_rerank
    out = metric.evaluate(len(samples))
    assert {'retrieval/t2v_R@1', 'retrieval/v2t_R@5', 'retrieval_emb/t2v_R@1',
            'retrieval_emb/mean_R'} <= set(out)
    # the re-ranked numbers are the recall of itm_rerank's matrices
    sim_v2t, sim_t2v = video_text_similarity(_stack(samples, 'video_feat'),
                                             _stack(samples, 'text_feat'))
    score_v2t, score_t2v = model.itm_rerank(
        sim_v2t, _stack(samples, 'vision_embeds'), _stack(samples, 'text_embeds'),
        _stack(samples, 'text_atts'))
    ref = retrieval_recall(score_t2v, (1, 5), sim_v2t=score_v2t)
    emb = retrieval_recall(sim_t2v, (1, 5))
    assert all(out[f'retrieval/{k}'] == v for k, v in ref.items())
    assert all(out[f'retrieval_emb/{k}'] == v for k, v in emb.items())
    # without k_test: VTC only, under the plain keys
    metric.process(None, _features(_model()))
    assert set(metric.evaluate(6)) == {f'retrieval/{k}' for k in emb}


def test_stage2_synthetic_validation_runs(tmp_path):
    """The tiny synthetic stage-2 config validates end to end (untrained, 24 clips) through
    the retrieval loop and reports the re-ranked and the VTC families."""
    from mmengine.runner import Runner

    from mmvideofm.engine.runner_utils import load_config
    repo = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
    cfg = load_config(osp.join(repo, 'configs', 'umt', 'umt-tiny-p8_stage2_synthetic-8x32.py'),
                      work_dir=str(tmp_path))
    cfg.val_dataloader.dataset.num_samples = 24
    cfg.val_dataloader.batch_size = 8
    cfg.custom_hooks = []
    cfg.visualizer.vis_backends = []
    runner = Runner.from_cfg(cfg)
    metrics = runner.val()
    k = runner.model.k_test
    assert k is not None and k < 24  # the config re-ranks a real top-k, not every pair
    for family in ('retrieval', 'retrieval_emb'):
        for key in ('t2v_R@1', 't2v_R@5', 't2v_R@10', 'v2t_R@1', 'v2t_R@10', 'mean_R'):
            assert 0. <= metrics[f'{family}/{key}'] <= 100., (family, key)
