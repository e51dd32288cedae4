"""VideoMAEv2 pre-training algorithm: dual masking, decoder input, loss set, bad input."""
import pytest
import torch

from mmvideofm.models.layers import running_cell_mask_maps, tube_masking
from mmvideofm.registry import MODELS


def _model(**kw):
    cfg = dict(
        type='VideoMAEv2',
        backbone=dict(type='VideoViT', img_size=32, patch_size=8, embed_dim=32, depth=2,
                      num_heads=2, num_frames=8, use_mean_pooling=False, out_type='raw'),
        decoder=dict(type='VideoMAEv2Decoder', embed_dim=16, depth=2, num_heads=2),
        seed=0)
    cfg.update(kw)
    return MODELS.build(cfg)


def test_encoder_sees_only_visible_tokens_and_decoder_input():
    model = _model()  # grid 4x4x4 = 64 tokens, tube 90 % -> 2 visible per frame
    seen = {}

    def record(name):
        def hook(module, args, out=None):
            seen[name] = (out if out is not None else args[0]).shape
        return hook

    model.backbone.patch_embed.register_forward_hook(record('patch'))
    model.backbone.blocks[0].register_forward_pre_hook(record('enc'))
    model.decoder.blocks[0].register_forward_pre_hook(record('dec'))
    weights = {}

    def capture(module, args):
        weights['w'] = args[2]

    model.loss_module.register_forward_pre_hook(capture)
    video = torch.randn(3, 3, 8, 32, 32)
    losses = model.loss(video[:, None])  # (N, views, C, T, H, W) from the preprocessor
    assert set(losses) == {'loss_pix'} and losses['loss_pix'].ndim == 0
    assert seen['patch'] == (3, 64, 32)
    assert seen['enc'] == (3, 8, 32)  # 4 tubelets x 2 visible: masked ones never built
    assert seen['dec'] == (3, 8 + 32, 16)  # visible + mask tokens at the 50 % kept positions
    # loss counted where encoder-masked AND decoder-kept: 14 of 16 masked, half kept
    mask, dmask = model.generate_masks(3, (4, 4, 4), generator=torch.Generator().manual_seed(0))
    assert weights['w'].shape == (3, 32)
    assert weights['w'].dtype == torch.bool and 0 < int(weights['w'].sum()) < 3 * 32
    assert int((mask & ~dmask).sum()) == int(mask[~dmask].sum())


def test_loss_ignores_tokens_outside_the_loss_set():
    torch.manual_seed(0)
    model = _model().eval()
    video = torch.randn(2, 3, 8, 32, 32)
    mask, dmask = model.generate_masks(2, (4, 4, 4), generator=torch.Generator().manual_seed(3))
    base = model.loss(video, mask=mask, decode_mask=dmask)['loss_pix']
    # change pixels of one encoder-visible, decoder-kept token: it is decoded (a target) but
    # not counted; the encoder input changes though, so compare via the target alone
    from mmvideofm.models.losses.pixel_loss import normalized_pixel_target
    target = normalized_pixel_target(video, 8, 2)
    decoded = ~dmask
    pred = model.reconstruct(video, mask, dmask)
    per_tok = (pred - target[decoded].reshape(2, -1, target.shape[-1])).pow(2).mean(-1)
    w = mask[decoded].reshape(2, -1).float()
    assert torch.allclose(base, (per_tok * w).sum() / w.sum(), rtol=1e-5, atol=1e-6)
    assert not torch.allclose(base, per_tok.mean())  # the visible decoded ones are excluded


def test_masks_from_own_generator_are_reproducible_and_structured():
    a, b = _model(seed=7), _model(seed=7)
    ma, da = a.generate_masks(4, (4, 4, 4))
    mb, db = b.generate_masks(4, (4, 4, 4))
    assert torch.equal(ma, mb) and torch.equal(da, db)
    frames = ma.view(4, 4, 16)
    assert (frames == frames[:, :1]).all() and frames.sum(-1).eq(14).all()
    maps = running_cell_mask_maps((4, 4, 4))
    assert maps.float().mean() == 0.5
    assert all(any(torch.equal(r.view(4, 16), p) for p in maps) for r in da)


def test_decoder_masking_off_decodes_exactly_the_masked_tokens():
    model = _model(decoder_mask_type=None)
    mask, dmask = model.generate_masks(2, (4, 4, 4))
    assert dmask is None
    out = model.reconstruct(torch.randn(2, 3, 8, 32, 32), mask, None)
    assert out.shape == (2, 56, 3 * 2 * 8 * 8)


@pytest.mark.parametrize('kw, match', [
    (dict(mask_ratio=1.0), 'mask_ratio'),
    (dict(mask_ratio=0.0), 'mask_ratio'),
    (dict(mask_ratio=-0.1), 'mask_ratio'),
    (dict(decoder_mask_ratio=1.5), 'decoder_mask_ratio'),
    (dict(decoder_mask_ratio=0.1), 'running-cell'),
    (dict(mask_type='block'), 'mask_type'),
])
def test_bad_mask_ratio(kw, match):
    with pytest.raises(ValueError, match=match):
        _model(**kw)
    with pytest.raises(ValueError, match='mask_ratio'):
        tube_masking(2, (4, 4, 4), 1.2)


def test_mean_pooling_encoder_refused():
    with pytest.raises(ValueError, match='use_mean_pooling=False'):
        _model(backbone=dict(type='VideoViT', img_size=32, patch_size=8, embed_dim=32, depth=1,
                             num_heads=2, num_frames=8))


def test_other_frame_count_and_resolution():
    model = _model().eval()
    # 16 frames at 48 px: the position table is resampled (logged), masks follow the grid
    loss = model.loss(torch.randn(1, 3, 16, 48, 48))['loss_pix']
    assert torch.isfinite(loss)
    with pytest.raises(ValueError, match='not divisible'):
        model.loss(torch.randn(1, 3, 7, 32, 32))
    with pytest.raises(ValueError, match='not divisible'):
        model.loss(torch.randn(1, 3, 8, 30, 30))
    with pytest.raises(ValueError, match='even token grid'):
        model.loss(torch.randn(1, 3, 8, 24, 24))  # 3x3 grid: no running cell


def test_train_step_with_checkpointing_matches_and_learns():
    from mmengine.optim import OptimWrapper
    torch.manual_seed(0)
    plain = _model()
    torch.manual_seed(0)
    cp = _model(backbone=dict(type='VideoViT', img_size=32, patch_size=8, embed_dim=32,
                              depth=2, num_heads=2, num_frames=8, use_mean_pooling=False,
                              out_type='raw', with_cp=True),
                decoder=dict(type='VideoMAEv2Decoder', embed_dim=16, depth=2, num_heads=2,
                             with_cp=True))
    cp.load_state_dict(plain.state_dict())
    video = torch.randn(2, 3, 8, 32, 32)
    mask, dmask = plain.generate_masks(2, (4, 4, 4))
    l1 = plain.loss(video, mask=mask, decode_mask=dmask)['loss_pix']
    l2 = cp.loss(video, mask=mask, decode_mask=dmask)['loss_pix']
    l1.backward()
    l2.backward()
    assert torch.allclose(l1, l2)
    g1 = plain.backbone.blocks[0].attn.qkv.weight.grad
    assert torch.allclose(g1, cp.backbone.blocks[0].attn.qkv.weight.grad, atol=1e-6)

    wrapper = OptimWrapper(torch.optim.AdamW(plain.parameters(), lr=3e-3))
    data = dict(inputs=[v for v in video[:, None]], data_samples=None)
    plain.data_preprocessor = MODELS.build(dict(type='ActionDataPreprocessor',
                                                format_shape='NCTHW'))
    first = [plain.train_step(data, wrapper)['loss_pix'].item() for _ in range(15)]
    assert first[-1] < first[0]
