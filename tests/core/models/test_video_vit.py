"""VideoViT behaviour: presets, masking, runtime pos-embed, checkpointing, mmaction2 use."""
import pytest
import torch

import mmvideofm  # noqa: F401
from mmvideofm.models.backbones import VideoViT
from mmvideofm.models.layers import get_sinusoid_encoding_table, tube_masking
from mmvideofm.registry import MODELS

TINY = dict(arch=dict(patch_size=8, embed_dim=32, depth=2, num_heads=4, mlp_ratio=2.),
            img_size=16, num_frames=4, tubelet_size=2)


def _video(b=2, t=4, s=16, seed=0):
    return torch.randn(b, 3, t, s, s, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize('arch,num_classes,params_m', [
    ('s', 710, 22.2), ('b', 710, 86.8), ('g', 710, 1012.6)])
def test_arch_presets_param_count(arch, num_classes, params_m):
    """Sizes of the VideoMAE V2 paper (measured counts of the official K710 models)."""
    with torch.device('meta'):
        model = VideoViT(arch=arch, num_classes=num_classes)
    n = sum(p.numel() for p in model.parameters()) / 1e6
    assert abs(n - params_m) < 0.1
    if arch == 'g':
        assert model.patch_size == 14 and model.blocks[0].mlp.fc1.out_features == 6144


def test_explicit_args_override_arch_and_aliases():
    m = VideoViT(arch='s', depth=1, all_frames=4, in_chans=1, img_size=32,
                 norm_layer=None, use_checkpoint=True, fc_drop_rate=0.)
    assert m.depth == 1 and m.embed_dim == 384 and m.num_frames == 4 and m.with_cp
    assert m.patch_embed.proj.in_channels == 1
    with pytest.raises(TypeError, match='unexpected'):
        VideoViT(arch='s', depth=1, bogus=1)
    with pytest.raises(ValueError, match='arch'):
        VideoViT(arch='xxl')
    with pytest.raises(ValueError, match='out_type'):
        VideoViT(**TINY, out_type='cls_token')


def test_out_types_and_registry():
    x = _video()
    m = MODELS.build(dict(type='VideoViT', **TINY)).eval()
    assert m(x).shape == (2, 32)
    m.out_type = 'raw'
    assert m(x).shape == (2, 2 * 2 * 2, 32)
    m.out_type = 'featmap'
    assert m(x).shape == (2, 32, 2, 2, 2)
    head = VideoViT(**TINY, num_classes=7).eval()
    assert head(x).shape == (2, 7)
    no_pool = VideoViT(**TINY, use_mean_pooling=False).eval()
    assert isinstance(no_pool.fc_norm, torch.nn.Identity)
    assert no_pool(x).shape == (2, 32)


def test_masked_forward_equals_gathered_visible_tokens():
    """With a mask only visible tokens are encoded: same as running the blocks on them."""
    m = VideoViT(**TINY, out_type='raw').eval()
    x = _video()
    mask = tube_masking(2, m.grid_size, 0.75, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = m(x, mask)
        tokens = m.patch_embed(x) + m.pos_embed
        vis = tokens[~mask].reshape(2, -1, 32)
        for blk in m.blocks:
            vis = blk(vis)
    assert out.shape == (2, 2, 32)  # 8 tokens, 75% masked
    torch.testing.assert_close(out, m.norm(vis))
    with pytest.raises(ValueError, match='same number'):
        bad = mask.clone()
        bad[0, (~bad[0]).nonzero()[0]] = True
        m(x, bad)


def test_runtime_pos_embed_resample():
    m = VideoViT(**TINY).eval()
    x = _video(t=8, s=24)  # grid (4, 3, 3) instead of (2, 2, 2)
    assert m(x).shape == (2, 32)
    m.out_type = 'featmap'
    assert m(x).shape == (2, 32, 4, 3, 3)


def test_fixed_vs_learnable_pos_embed():
    fixed = VideoViT(**TINY)
    torch.testing.assert_close(fixed.pos_embed, get_sinusoid_encoding_table(8, 32))
    assert 'pos_embed' not in fixed.state_dict()
    learn = VideoViT(**TINY, use_learnable_pos_emb=True)
    assert isinstance(learn.pos_embed, torch.nn.Parameter) and learn.pos_embed.requires_grad
    learn(_video()).sum().backward()
    assert learn.pos_embed.grad is not None


def test_load_hook_resamples_checkpoint_pos_embed():
    src = VideoViT(**TINY, use_learnable_pos_emb=True)
    dst = VideoViT(**{**TINY, 'num_frames': 8}, use_learnable_pos_emb=True)  # grid (4, 2, 2)
    dst.load_state_dict(src.state_dict())
    assert dst.pos_embed.shape == (1, 16, 32)
    # a checkpoint table fills the fixed buffer of a sinusoid model
    fixed = VideoViT(**TINY)
    fixed.load_state_dict(src.state_dict(), strict=True)
    torch.testing.assert_close(fixed.pos_embed, src.pos_embed.detach())


def test_grad_checkpointing_same_grads():
    torch.manual_seed(0)
    ref = VideoViT(**TINY, drop_path_rate=0.)
    cp_model = VideoViT(**TINY)
    cp_model.load_state_dict(ref.state_dict())
    cp_model.set_grad_checkpointing(True)
    x = _video()
    ref(x).square().sum().backward()
    cp_model(x).square().sum().backward()
    for (name, p), q in zip(ref.named_parameters(), cp_model.parameters()):
        torch.testing.assert_close(p.grad, q.grad, msg=name)


def test_optimizer_hints():
    m = VideoViT(**TINY, cos_attn=True)
    assert {'pos_embed', 'blocks.0.attn.scale', 'blocks.1.attn.scale'} <= m.no_weight_decay()
    assert m.get_layer_depth('patch_embed.proj.weight') == (0, 4)
    assert m.get_layer_depth('blocks.1.mlp.fc1.weight') == (2, 4)
    assert m.get_layer_depth('fc_norm.weight') == (3, 4)
    assert m.get_layer_depth('backbone.blocks.0.norm1.weight', 'backbone.') == (1, 4)
    assert m.get_layer_depth('cls_head.fc_cls.weight', 'backbone.') == (3, 4)


def _recognizer_cfg(**backbone):
    return dict(
        type='Recognizer3D',
        backbone=dict(type='VideoViT', **TINY, **backbone),
        cls_head=dict(type='TimeSformerHead', num_classes=5, in_channels=32,
                      average_clips='prob'),
        data_preprocessor=dict(type='ActionDataPreprocessor', mean=[0., 0., 0.],
                               std=[1., 1., 1.], format_shape='NCTHW'))


def test_inside_mmaction_recognizer3d():
    from mmaction.structures import ActionDataSample
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmvideofm'):
        model = MODELS.build(_recognizer_cfg(drop_path_rate=0.1))
    samples = [ActionDataSample().set_gt_label(i) for i in (1, 3)]
    inputs = [torch.randn(1, 3, 4, 16, 16) for _ in range(2)]  # (num_clips, C, T, H, W)
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) >= {'loss_cls'} and torch.isfinite(losses['loss_cls'])
    losses['loss_cls'].backward()
    assert model.backbone.blocks[0].attn.qkv.weight.grad is not None
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples))
        preds = model(**data, mode='predict')
    assert len(preds) == 2 and preds[0].pred_score.shape == (5, )
