"""Attention / Block / PatchEmbed / pos-embed unit tests."""
from pathlib import Path

import pytest
import torch

import mmvideofm  # noqa: F401
from mmvideofm.models.layers import (
    Attention,
    Block,
    DropPath,
    Mlp,
    PatchEmbed,
    get_sinusoid_encoding_table,
    resample_pos_embed,
)

DATA = Path(__file__).resolve().parents[2] / 'data'


def _randomize(module: torch.nn.Module, seed: int = 0) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3 + (1. if p.ndim == 1 else 0.))


@pytest.mark.parametrize('cos_attn', [False, True])
@pytest.mark.parametrize('qkv_bias', [False, True])
def test_sdpa_matches_explicit(cos_attn, qkv_bias):
    torch.manual_seed(0)
    sdpa = Attention(32, num_heads=4, qkv_bias=qkv_bias, cos_attn=cos_attn, fused_attn=True)
    _randomize(sdpa)
    explicit = Attention(32, num_heads=4, qkv_bias=qkv_bias, cos_attn=cos_attn,
                         fused_attn=False)
    explicit.load_state_dict(sdpa.state_dict())
    x = torch.randn(2, 10, 32)
    torch.testing.assert_close(sdpa(x), explicit(x), atol=1e-5, rtol=1e-5)
    # a mask (True = may attend) is honoured identically on both paths
    mask = torch.rand(2, 1, 10, 10, generator=torch.Generator().manual_seed(1)) > 0.3
    mask[..., 0] = True
    torch.testing.assert_close(sdpa(x, attn_mask=mask), explicit(x, attn_mask=mask),
                               atol=1e-5, rtol=1e-5)
    out, attn = sdpa(x, return_attn=True)  # return_attn forces the explicit path
    assert attn.shape == (2, 4, 10, 10)
    torch.testing.assert_close(attn.sum(-1), torch.ones(2, 4, 10))
    torch.testing.assert_close(out, explicit(x), atol=1e-5, rtol=1e-5)


def test_attention_names_and_head_dim():
    attn = Attention(48, num_heads=4, qkv_bias=True, attn_head_dim=8)
    shapes = {k: tuple(v.shape) for k, v in attn.state_dict().items()}
    assert shapes == {'q_bias': (32, ), 'v_bias': (32, ), 'qkv.weight': (96, 48),
                      'proj.weight': (48, 32), 'proj.bias': (48, )}
    assert Attention(8, 2, qkv_bias=False).q_bias is None
    cos = Attention(8, 2, cos_attn=True)
    assert cos.scale.shape == (2, 1, 1)
    assert Attention(8, 2, qk_scale=0.5).scale == 0.5


def test_env_disables_fused(monkeypatch):
    monkeypatch.setenv('MMVIDEOFM_FUSED_ATTN', '0')
    assert not Attention(8, 2).fused_attn
    monkeypatch.setenv('MMVIDEOFM_FUSED_ATTN', '1')
    assert Attention(8, 2).fused_attn
    assert not Attention(8, 2, fused_attn=False).fused_attn


def test_block_layer_scale_and_identity():
    blk = Block(16, 2, qkv_bias=True)
    assert blk.gamma_1 is None and isinstance(blk.drop_path, torch.nn.Identity)
    ls = Block(16, 2, init_values=0.1, drop_path=0.2)
    assert set(ls.state_dict()) >= {'gamma_1', 'gamma_2', 'norm1.weight', 'mlp.fc1.weight'}
    assert isinstance(ls.drop_path, DropPath)
    x = torch.randn(2, 5, 16)
    ls.eval()
    with torch.no_grad():
        ref = x + 0.1 * ls.attn(ls.norm1(x))
        ref = ref + 0.1 * ls.mlp(ls.norm2(ref))
        torch.testing.assert_close(ls(x), ref)
        y, attn = ls(x, return_attn=True)
        torch.testing.assert_close(y, ref)
        assert attn.shape == (2, 2, 5, 5)


def test_drop_path_train_eval():
    dp = DropPath(0.5)
    x = torch.ones(1000, 4)
    assert torch.equal(dp.eval()(x), x)
    y = dp.train()(x)
    kept = (y[:, 0] > 0).float().mean()
    assert 0.4 < kept < 0.6 and set(y.unique().tolist()) <= {0., 2.}


@pytest.mark.parametrize('p', [0.1, 0.5])
def test_drop_path_is_timms_with_the_same_rng_draws(p):
    # resume exactness depends on it: one bernoulli_ per sample from the global RNG, scaled
    import timm.layers
    assert DropPath is timm.layers.DropPath
    x = torch.randn(6, 5, 4)
    torch.manual_seed(3)
    y = DropPath(p).train()(x)
    after = torch.get_rng_state()
    torch.manual_seed(3)
    mask = torch.empty(6, 1, 1).bernoulli_(1 - p)
    assert torch.equal(y, x * mask.div_(1 - p)) and torch.equal(after, torch.get_rng_state())


def test_mlp_hidden_truncation():
    # official: hidden = int(dim * mlp_ratio) in float -> 48/11 gives 6144 for 1408
    assert int(1408 * (48 / 11)) == 6144
    assert Mlp(8, 20).fc1.out_features == 20


def test_patch_embed_raster_order():
    pe = PatchEmbed(img_size=8, patch_size=4, in_channels=1, embed_dim=1, num_frames=4,
                    tubelet_size=2)
    assert pe.grid_size == (2, 2, 2) and pe.num_patches == 8
    with torch.no_grad():
        pe.proj.weight.fill_(1.)
        pe.proj.bias.zero_()
    x = torch.zeros(1, 1, 4, 8, 8)
    # mark tubelet (t=1, h=0, w=1) -> raster index 1*4 + 0*2 + 1 = 5
    x[0, 0, 2, 0, 4] = 1.
    out = pe(x)
    assert out.shape == (1, 8, 1)
    assert out[0, :, 0].nonzero().flatten().tolist() == [5]
    with pytest.raises(ValueError, match='not divisible'):
        pe(torch.zeros(1, 1, 3, 8, 8))


def test_sinusoid_table_matches_official():
    ref = torch.load(DATA / 'umt' / 'umt_sinusoid.pt', weights_only=True)
    torch.testing.assert_close(get_sinusoid_encoding_table(1568, 64), ref['table_n1568_d64'],
                               atol=0, rtol=0)


@pytest.mark.parametrize('key,grid,dim', [
    ('interp_n32_d64_f8', (8, 2, 2), 64),
    ('interp_n144_d64_f16', (16, 3, 3), 64),
    ('interp_n3136_d8_f16', (16, 14, 14), 8),
    ('interp_n392_d32_f8', (8, 7, 7), 32),
])
def test_resample_matches_umt_official(key, grid, dim):
    ref = torch.load(DATA / 'umt' / 'umt_sinusoid.pt', weights_only=True)[key]
    base = get_sinusoid_encoding_table(8 * 14 * 14, dim)
    out = resample_pos_embed(base, (8, 14, 14), grid)
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=0)


def test_resample_identity_prefix_and_errors():
    pos = torch.randn(1, 1 + 2 * 3 * 3, 4)
    assert resample_pos_embed(pos, (2, 3, 3), (2, 3, 3), num_prefix_tokens=1) is pos
    out = resample_pos_embed(pos, (2, 3, 3), (4, 6, 6), num_prefix_tokens=1)
    assert out.shape == (1, 1 + 4 * 6 * 6, 4)
    torch.testing.assert_close(out[:, :1], pos[:, :1])
    with pytest.raises(ValueError, match='expected'):
        resample_pos_embed(pos, (2, 3, 4), (2, 3, 3))
    # fp16 in -> fp16 out (computed in fp32)
    assert resample_pos_embed(pos.half(), (2, 3, 3), (1, 3, 3), 1).dtype == torch.float16


def test_resample_clip_table_is_bicubic_per_grid_with_cls_kept():
    # CLIPVisual's load hook: a (1 + G*G, C) table = one frame of a 1xGxG grid after cls;
    # UMT's clip.load_state_dict: bicubic, align_corners=False, in fp32, cast back
    pos = torch.randn(1 + 5 * 5, 6).half()
    out = resample_pos_embed(pos[None], (1, 5, 5), (1, 4, 4), num_prefix_tokens=1)[0]
    grid = pos[1:].float().reshape(1, 5, 5, 6).permute(0, 3, 1, 2)
    ref = torch.nn.functional.interpolate(grid, size=(4, 4), mode='bicubic', align_corners=False)
    ref = torch.cat([pos[:1], ref.permute(0, 2, 3, 1).reshape(16, 6).half()])
    assert out.dtype == torch.float16 and torch.equal(out, ref)
