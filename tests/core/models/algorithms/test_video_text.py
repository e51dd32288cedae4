"""VideoTextPretrainer: a tiny model trains, the loss set is configurable, the CLIP text tower
plugs in, retrieval predictions, and VTC over 2 gloo ranks with gradients through torch's
differentiable all_gather (this file is also the torchrun worker)."""
import os.path as osp
import sys

import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import BaseDataElement

REPO = osp.abspath(osp.join(osp.dirname(__file__), *[osp.pardir] * 4))
CAPTIONS = ['a red circle moves up', 'a green cross moves down', 'a yellow triangle moves left',
            'a white square moves right', 'a blue circle stays still', 'a cyan cross moves up',
            'a magenta square moves down', 'a red triangle moves right']
BERT = dict(type='BertFusionEncoder', fusion_layer=1,
            config=dict(vocab_size=64, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=16))


def _model(**kw):
    from mmvideofm.registry import MODELS
    init_default_scope('mmvideofm')
    cfg = dict(type='VideoTextPretrainer',
               backbone=dict(type='VideoViT', img_size=32, patch_size=8, embed_dim=32, depth=1,
                             num_heads=2, num_frames=4, use_mean_pooling=False),
               text_encoder=BERT, tokenizer=dict(type='BertTokenizer', vocab='synthetic'),
               embed_dim=16, max_txt_len=12, seed=0)
    cfg.update(kw)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def _samples(caps=CAPTIONS):
    return [BaseDataElement(metainfo=dict(caption=c)) for c in caps]


def _clips(n=8):
    g = torch.Generator().manual_seed(0)
    return (torch.randn(n, 3, 1, 1, 1, generator=g) * 2).expand(n, 3, 4, 32, 32)


def test_tiny_model_trains():
    """VTC + VTM + MLM on 8 fixed pairs (one colour per clip): VTC and MLM fall (VTM's fresh
    cross-attention sits on its 1:2 label prior for hundreds of steps; the UMT tests train
    it out of there)."""
    model = _model().train()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    history = []
    for _ in range(25):
        losses = model.loss(_clips(), _samples())
        opt.zero_grad()
        sum(losses.values()).backward()
        opt.step()
        history.append({k: v.item() for k, v in losses.items()})
    assert set(history[0]) == {'loss_vtc', 'loss_vtm', 'loss_mlm'}
    for key in ('loss_vtc', 'loss_mlm'):
        first = sum(h[key] for h in history[:3]) / 3
        last = sum(h[key] for h in history[-3:]) / 3
        assert last < 0.8 * first, (key, first, last)
    assert model.vision_proj.weight.grad.abs().sum() > 0
    assert model.text_encoder.bert.encoder.layer[1].crossattention.self.key.weight.grad \
        .abs().sum() > 0


def test_loss_set_and_heads_are_configured():
    vtc_only = _model(losses=dict(vtc=dict(type='VTCLoss', loss_weight=2.0)))
    losses = vtc_only.loss(_clips(4), _samples(CAPTIONS[:4]))
    assert set(losses) == {'loss_vtc'}
    plain = _model(losses=dict(vtc=dict(type='VTCLoss')))
    torch.testing.assert_close(losses['loss_vtc'],
                               2 * plain.loss(_clips(4), _samples(CAPTIONS[:4]))['loss_vtc'])
    keys = set(plain.state_dict())
    assert {'vision_proj.weight', 'text_proj.weight', 'temp', 'itm_head.weight',
            'pool_norm.weight'} <= keys
    with pytest.raises(ValueError, match='unknown'):
        _model(losses=dict(uta=dict(type='AlignLoss')))
    with pytest.raises(ValueError, match='itm_head'):
        _model(itm_head=None)
    with pytest.raises(ValueError, match='mlm_mask_prob'):
        _model(mlm_mask_prob=1.0)
    with pytest.raises(KeyError, match='caption'):
        plain.loss(_clips(2), [BaseDataElement(), BaseDataElement()])


CLIP_TEXT = dict(type='CLIPTextTransformer', arch=None, context_length=16, width=32, heads=2,
                 layers=1, output_dim=16)


def test_clip_text_tower_vtc_only():
    """ViCLIP's set-up: CLIP text tower + BPE tokenizer, VTC only, temperature min 0.01."""
    model = _model(text_encoder=CLIP_TEXT, tokenizer=dict(type='CLIPTokenizer'),
                   losses=dict(vtc=dict(type='VTCLoss')), itm_head=None,
                   temp=0.001, temp_range=(0.01, None), max_txt_len=16).train()
    loss = model.loss(_clips(4), _samples(CAPTIONS[:4]))['loss_vtc']
    assert model.temp.item() == pytest.approx(0.01)  # clamped to the minimum
    loss.backward()
    assert model.text_encoder.token_embedding.weight.grad.abs().sum() > 0
    assert model.text_proj.in_features == 16  # the tower's projected width
    for losses in (dict(vtm=dict(type='VTMLoss')), dict(mlm=dict(type='MLMLoss'))):
        with pytest.raises(ValueError, match='fusion'):
            _model(text_encoder=CLIP_TEXT, tokenizer=dict(type='CLIPTokenizer'),
                   losses=losses, max_txt_len=16)


def test_predict_tensor_mode_and_rerank():
    model = _model(k_test=3).eval()
    samples = model.predict(_clips(4), _samples(CAPTIONS[:4]))
    assert samples[0].video_feat.shape == (2, 16)  # per frame (tubelet 2 -> 2 steps)
    assert samples[0].text_feat.shape == (16, )
    assert samples[0].vision_embeds.shape == (32, 32) and samples[0].text_atts.shape == (12, )
    torch.testing.assert_close(model(_clips(4), mode='tensor').norm(dim=-1), torch.ones(4, 2))
    sim = torch.randn(4, 4)
    v2t, t2v = model.itm_rerank(sim, torch.stack([s.vision_embeds for s in samples]),
                                torch.stack([s.text_embeds for s in samples]),
                                torch.stack([s.text_atts for s in samples]))
    assert ((v2t != model.itm_fill).sum(1) == 3).all() and ((t2v != model.itm_fill).sum(1) == 3
                                                            ).all()


# ---------------------------------------------------------------- VTC on two gloo ranks
def _full_batch():
    g = torch.Generator().manual_seed(0)
    vision = torch.randn(4, 1, 8, generator=g)
    text = torch.randn(4, 8, generator=g)
    idx = torch.tensor([0, 0, 1, 2])  # two captions of video 0: multi-positive targets
    return vision, text, idx


def _vtc_worker(out_dir: str) -> None:
    import torch.distributed as dist

    from mmvideofm.models.losses import VTCLoss
    dist.init_process_group('gloo')
    rank = dist.get_rank()
    vision, text, idx = _full_batch()
    part = slice(2 * rank, 2 * rank + 2)
    v, t = vision[part].clone().requires_grad_(), text[part].clone().requires_grad_()
    loss = VTCLoss(all_gather=True)(v, t, 0.1, idx[part])
    loss.backward()
    torch.save(dict(loss=loss.detach(), v_grad=v.grad, t_grad=t.grad),
               osp.join(out_dir, f'rank{rank}.pt'))
    dist.destroy_process_group()


def test_vtc_two_ranks_gather_with_gradient(tmp_path, torchrun):
    """Each rank sees the full-batch loss; the backward sums both ranks' gradients of its
    slice (world size x the full-batch gradient, which DDP's averaging then divides)."""
    from mmvideofm.models.losses import VTCLoss
    out = torchrun(__file__, tmp_path, timeout=120)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    vision, text, idx = _full_batch()
    vision.requires_grad_()
    text.requires_grad_()
    full = VTCLoss(all_gather=True)(vision, text, 0.1, idx)  # one process: no gather
    full.backward()
    for rank in (0, 1):
        res = torch.load(tmp_path / f'rank{rank}.pt', weights_only=True)
        part = slice(2 * rank, 2 * rank + 2)
        torch.testing.assert_close(res['loss'], full.detach())
        torch.testing.assert_close(res['v_grad'], 2 * vision.grad[part])
        torch.testing.assert_close(res['t_grad'], 2 * text.grad[part])


if __name__ == '__main__':
    sys.path.insert(0, REPO)
    _vtc_worker(sys.argv[1])
