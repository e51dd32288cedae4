"""UMT modules: CLIP teacher key compatibility, bad inputs, stage 2, retrieval metric,
benchmarks."""
import logging

import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import BaseDataElement

import projects.umt  # noqa: F401
from mmvideofm.engine.benchmark import get_benchmark
from mmvideofm.evaluation import VideoTextRetrievalMetric, retrieval_recall
from mmvideofm.registry import MODELS

init_default_scope('mmvideofm')


@pytest.mark.parametrize('arch,name,res', [('b16', 'ViT-B-16', 224), ('l14', 'ViT-L-14', 196)])
def test_clip_teacher_matches_open_clip_keys(arch, name, res):
    """Real CLIP ViT-B/16 / L/14 visual towers have exactly our keys and shapes (L/14 at
    196 px differs only in the positional table, which the load hook resamples)."""
    import open_clip
    from open_clip.transformer import VisionTransformer
    vc = open_clip.get_model_config(name)['vision_cfg']
    with torch.device('meta'):
        ref = VisionTransformer(image_size=vc['image_size'], patch_size=vc['patch_size'],
                                width=vc['width'], layers=vc['layers'],
                                heads=vc['width'] // 64, mlp_ratio=4.0,
                                output_dim=open_clip.get_model_config(name)['embed_dim']
                                ).state_dict()
        ours = MODELS.build(dict(type='CLIPVisual', arch=arch, input_resolution=res)).state_dict()
    assert set(ref) == set(ours)
    for k, v in ref.items():
        if k != 'positional_embedding' or res == 224:
            assert v.shape == ours[k].shape, k
    if res == 196:
        assert ref['positional_embedding'].shape[0] == 257
        assert ours['positional_embedding'].shape[0] == 197


def _tiny_teacher(res=32, **kw):
    return MODELS.build(dict(type='CLIPVisual', arch=None, input_resolution=res, patch_size=8,
                             width=32, layers=2, heads=2, output_dim=16, return_layers=2, **kw))


def test_clip_teacher_resamples_other_grid(caplog):
    src = _tiny_teacher(res=40)  # 5x5 grid checkpoint
    dst = _tiny_teacher(res=32)  # 4x4 grid model (UMT-L: 16x16 -> 14x14)
    with caplog.at_level(logging.WARNING, logger='mmengine'):
        dst.load_state_dict(src.state_dict(), strict=True)
    feats, attn = dst(torch.randn(2, 3, 3, 32, 32))
    assert feats.shape == (2, 2, 3 * 16, 16) and attn.shape == (6, 16)
    torch.testing.assert_close(feats.norm(dim=-1), torch.ones(2, 2, 48))
    # frames of another size are resized to the teacher's resolution
    feats2, _ = dst(torch.randn(1, 3, 2, 48, 48))
    assert feats2.shape == (2, 1, 32, 16)
    assert not dst.training and not any(p.requires_grad for p in dst.parameters())
    dst.train()
    assert not dst.training  # a frozen teacher stays in eval


def _student(**kw):
    cfg = dict(type='UMTViT', arch=dict(patch_size=8, embed_dim=32, depth=2, num_heads=2,
                                        mlp_ratio=4.), img_size=32, num_frames=4)
    cfg.update(kw)
    return MODELS.build(cfg)


def test_mask_ratio_out_of_range():
    for ratio in (1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match='mask_ratio'):
            MODELS.build(dict(
                type='UMT', mask_ratio=ratio, clip_return_layer=2,
                backbone=dict(type='UMTViT', arch=dict(patch_size=8, embed_dim=32, depth=2,
                                                        num_heads=2, mlp_ratio=4.),
                              img_size=32, num_frames=4, use_mean_pooling=False),
                teacher=dict(type='CLIPVisual', arch=None, input_resolution=32, patch_size=8,
                             width=32, layers=2, heads=2, output_dim=16, return_layers=2)))


def test_teacher_student_grid_mismatch():
    with pytest.raises(ValueError, match='teacher token grid'):
        MODELS.build(dict(
            type='UMT', clip_return_layer=2,
            backbone=dict(type='UMTViT', arch=dict(patch_size=8, embed_dim=32, depth=2,
                                                    num_heads=2, mlp_ratio=4.),
                          img_size=32, num_frames=4, use_mean_pooling=False),
            teacher=dict(type='CLIPVisual', arch=None, input_resolution=48, patch_size=8,
                         width=32, layers=2, heads=2, output_dim=16, return_layers=2)))


def test_checkpoint_of_other_frames_is_interpolated(caplog):
    """An 8-frame checkpoint loads into a 16-frame model (table resampled, logged) and an
    input of another length is resampled at run time."""
    eight = _student(num_frames=8, img_size=48)
    sixteen = _student(num_frames=16, img_size=48)
    sd = eight.state_dict()
    sd['pos_embed'] = eight.pos_embed.detach().clone()
    with caplog.at_level(logging.INFO, logger='mmengine'):
        sixteen.load_state_dict(sd, strict=True)
    assert sixteen.pos_embed.shape == (1, 16 * 36, 32)
    out = eight(torch.randn(1, 3, 12, 48, 48))  # 12 frames through an 8-frame model
    assert out.shape == (1, 32)


def _video_text(**kw):
    cfg = dict(
        type='UMTVideoText',
        backbone=dict(type='UMTViT', arch=dict(patch_size=8, embed_dim=32, depth=2, num_heads=2,
                                               mlp_ratio=4.), img_size=32, num_frames=4,
                      pos_embed_base_thw=None, use_mean_pooling=False),
        teacher=dict(type='CLIPVisual', arch=None, input_resolution=32, patch_size=8, width=32,
                     layers=2, heads=2, output_dim=16, return_layers=2),
        text_encoder=dict(type='BertFusionEncoder',
                          config=dict(vocab_size=64, hidden_size=32, num_hidden_layers=3,
                                      num_attention_heads=2, intermediate_size=64,
                                      max_position_embeddings=24), fusion_layer=2),
        tokenizer=dict(type='BertTokenizer', vocab='synthetic'), embed_dim=16,
        clip_return_layer=2, max_txt_len=16,
        seed=0)
    cfg.update(kw)
    return MODELS.build(cfg)


CAPTIONS = ['a red circle moves up while a blue square stays still',
            'a green cross moves down-left', 'a yellow triangle moves right',
            'a white square moves up-right while a cyan circle stays still']


def _samples(caps):
    return [BaseDataElement(metainfo=dict(caption=c)) for c in caps]


def test_video_text_losses_and_grads():
    torch.manual_seed(0)
    model = _video_text().train()
    assert 'text_encoder.bert.encoder.layer.2.crossattention.self.key.weight' in \
        model.state_dict()
    assert not hasattr(model.text_encoder.bert.encoder.layer[1], 'crossattention')
    losses = model.loss(torch.randn(4, 3, 4, 32, 32), _samples(CAPTIONS))
    assert set(losses) == {'loss_uta', 'loss_vtc', 'loss_vtm', 'loss_mlm'}
    sum(losses.values()).backward()
    assert model.itm_head.weight.grad is not None
    assert model.text_encoder.bert.encoder.layer[2].crossattention.self.key.weight.grad \
        is not None
    assert all(p.grad is None for p in model.teacher.parameters())
    # without a teacher: no UTA and the student sees every token
    no_teacher = _video_text(teacher=None)
    assert 'loss_uta' not in no_teacher.loss(torch.randn(4, 3, 4, 32, 32), _samples(CAPTIONS))


def test_vtm_logits_depend_on_video_and_reach_cross_attention():
    """The fusion [CLS] attends to the video: VTM logits move with the video tokens and
    ``loss_vtm`` alone sends gradients into every cross-attention projection."""
    torch.manual_seed(0)
    model = _video_text(teacher=None, losses=dict(vtm=dict(type='VTMLoss'))).eval()
    text = model.tokenize(CAPTIONS, 'cpu')
    text_embeds, _ = model.encode_text(text)
    vision, _ = model.encode_vision(torch.randn(4, 3, 4, 32, 32))
    logits = model.fusion_logits(text_embeds, text.attention_mask, vision)
    assert logits.shape == (4, 2)
    for other in (vision.roll(1, 0), torch.zeros_like(vision)):
        assert (model.fusion_logits(text_embeds, text.attention_mask, other) - logits
                ).abs().max() > 1e-4
    model.train()
    model.loss(torch.randn(4, 3, 4, 32, 32), _samples(CAPTIONS))['loss_vtm'].backward()
    cross = model.text_encoder.bert.encoder.layer[2].crossattention
    for lin in (cross.self.query, cross.self.key, cross.self.value, cross.output.dense):
        assert lin.weight.grad is not None and lin.weight.grad.abs().sum() > 0
    assert model.backbone.blocks[-1].attn.qkv.weight.grad.abs().sum() > 0


def test_vtm_overfits_fixed_pairs():
    """VTM can learn: on 8 fixed pairs with easy (uniform) negatives the loss leaves the
    1:2 label prior (entropy 0.637). VTC runs too, as in training: it is what makes the
    from-scratch [CLS] caption-specific; VTM alone sits on the prior for hundreds of steps."""
    torch.manual_seed(0)
    model = _video_text(teacher=None, losses=dict(
        vtc=dict(type='VTCLoss'), vtm=dict(type='VTMLoss', hard_negatives=False))).train()
    caps = CAPTIONS + ['a blue circle stays still', 'a cyan cross moves left',
                       'a magenta square moves down', 'a red triangle moves up-left']
    video = torch.randn(8, 3, 1, 1, 1).expand(8, 3, 4, 32, 32) * 2  # one colour per clip
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    vtm = []
    for _ in range(200):
        losses = model.loss(video, _samples(caps))
        opt.zero_grad()
        sum(losses.values()).backward()
        opt.step()
        vtm.append(losses['loss_vtm'].item())
    prior = -(torch.tensor([1 / 3, 2 / 3]) * torch.tensor([1 / 3, 2 / 3]).log()).sum().item()
    assert sum(vtm[:10]) / 10 > prior - 0.02  # starts at (or above) the prior
    assert sum(vtm[-20:]) / 20 < 0.7 * prior, vtm[-20:]


def test_stage2_converter_roundtrip():
    """Official stage-2 key layout -> converter -> our model, strict."""
    from mmvideofm.checkpoint import get_converter
    model = _video_text()
    ours = model.state_dict()
    official = {}
    for k, v in ours.items():
        if k.startswith('backbone.'):
            k = 'vision_encoder.encoder.' + k[len('backbone.'):]
        elif k.startswith(('clip_decoder.', 'pool_norm.')):
            k = 'vision_encoder.' + k
        elif k.startswith('teacher.'):
            k = 'clip_teacher.' + k[len('teacher.'):]
            v = v[:, :, None] if k.endswith('conv1.weight') else v  # UMT's Conv3d
        if k == 'text_encoder.cls.predictions.decoder.bias':
            continue
        official[k] = v
    official['text_encoder.bert.embeddings.position_ids'] = torch.arange(24)[None]
    converted = get_converter('umt')(official)
    assert set(converted) == set(ours)
    model.load_state_dict(converted, strict=True)


def test_retrieval_recall_both_directions():
    sim = torch.tensor([[0.9, 0.1, 0.0], [0.8, 0.2, 0.1], [0.0, 0.1, 0.5]])  # text x video
    r = retrieval_recall(sim, ks=(1, 2))
    assert r['t2v_R@1'] == pytest.approx(200 / 3) and r['t2v_R@2'] == 100.
    # text 1 retrieves video 0 (miss), but each video's own text scores highest in its column
    assert r['v2t_R@1'] == 100.
    # several captions per video: text 1 also belongs to video 0
    r2 = retrieval_recall(sim, ks=(1, ), text_to_video=torch.tensor([0, 0, 2]))
    assert r2['t2v_R@1'] == 100.
    metric = VideoTextRetrievalMetric(ks=(1, 5, 10))
    feats = torch.nn.functional.normalize(torch.randn(6, 8), dim=-1)
    metric.process(None, [dict(video_feat=feats[i][None], text_feat=feats[i]) for i in range(6)])
    out = metric.compute_metrics(metric.results)
    assert out['t2v_R@1'] == 100. and out['v2t_R@1'] == 100.


def test_video_text_predict_and_metric():
    torch.manual_seed(0)
    model = _video_text().eval()
    samples = model.predict(torch.randn(4, 3, 4, 32, 32), _samples(CAPTIONS))
    assert samples[0].video_feat.shape == (4, 16) and samples[0].text_feat.shape == (16, )
    metric = VideoTextRetrievalMetric()
    metric.process(None, samples)
    out = metric.compute_metrics(metric.results)
    assert {'t2v_R@1', 't2v_R@5', 't2v_R@10', 'v2t_R@1', 'v2t_R@5', 'v2t_R@10'} <= set(out)


def test_benchmarks_smoke():
    out = get_benchmark('umt/pretrain_cost_vs_videomaev2')(
        ['--arch', 't', '--img-size', '32', '--iters', '1', '--warmup', '0', '--batch-size',
         '1'])
    assert out['ratio_umt_over_videomaev2'] > 0 and out['tokens_per_clip'] == 32
    c = get_benchmark('umt/complexity')(['--arch', 'b'])
    assert c['params_m'] == pytest.approx(85.9, abs=0.2)
    assert c['gflops_per_view'] == pytest.approx(179.6, rel=0.01)  # fvcore: 179.6
