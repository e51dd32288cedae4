"""The three transition criteria with a tiny random CLIP built from a config dict."""
import pytest
import torch

from projects.seine.metrics import SEINETransitionMetric, TransitionCLIPScorer


@pytest.fixture(scope='module')
def clip():
    from transformers import CLIPConfig, CLIPModel

    from mmvideofm.models.text import build_tokenizer
    torch.manual_seed(0)
    cfg = CLIPConfig(text_config=dict(vocab_size=49408, hidden_size=32, intermediate_size=64,
                                      num_hidden_layers=1, num_attention_heads=2),
                     vision_config=dict(hidden_size=32, intermediate_size=64,
                                        num_hidden_layers=1, num_attention_heads=2,
                                        image_size=32, patch_size=8),
                     projection_dim=16)
    return CLIPModel(cfg).eval(), build_tokenizer(dict(type='CLIPTokenizer'))


def test_scores_follow_their_definitions(clip):
    model, tok = clip
    scorer = TransitionCLIPScorer(model, tok)
    g = torch.Generator().manual_seed(0)
    a, b = (torch.rand(3, 24, 24, generator=g) * 2 - 1 for _ in range(2))
    still = a[None].repeat(5, 1, 1, 1)
    s = scorer.score(still, torch.stack([a, b]), 'a red circle')
    assert s['temporal_consistency'] == pytest.approx(100, abs=1e-3)
    assert s['sim_first'] == pytest.approx(100, abs=1e-3)  # every middle frame is scene A
    fa, fb = scorer.image_features(torch.stack([a, b]))
    assert s['sim_last'] == pytest.approx(100 * float(fa @ fb), abs=1e-3)
    assert s['semantic_similarity'] == pytest.approx((s['sim_first'] + s['sim_last']) / 2)
    t = scorer.text_features(['a red circle'])[0]
    assert s['text_alignment'] == pytest.approx(100 * float(fa @ t), abs=1e-3)
    noisy = torch.rand(5, 3, 24, 24, generator=g) * 2 - 1
    assert scorer.score(noisy)['temporal_consistency'] < s['temporal_consistency']
    with pytest.raises(ValueError, match='2 scene images'):
        scorer.score(still, torch.stack([a, b, a]))


def test_mmengine_metric_averages(clip):
    model, tok = clip
    metric = SEINETransitionMetric(model, tok)
    frames = torch.randint(0, 255, (4, 3, 16, 16), dtype=torch.uint8)
    metric.process(None, [dict(frames=frames, prompt='x'), dict(frames=frames, prompt='x')])
    one = metric.scorer.score(frames, prompt='x')
    out = metric.compute_metrics(metric.results)
    assert out == pytest.approx(one)
