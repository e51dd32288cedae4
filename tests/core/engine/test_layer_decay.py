"""LayerDecayOptimWrapperConstructor on a tiny VideoViT inside mmaction2's Recognizer3D."""
import pytest
import torch
from mmengine.registry import DefaultScope

import mmvideofm  # noqa: F401
import mmvideofm.engine  # noqa: F401  (registers the constructor)
import mmvideofm.models  # noqa: F401
from mmvideofm.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS

DEPTH = 3


def _recognizer(cos_attn=False):
    cfg = dict(
        type='Recognizer3D',
        backbone=dict(type='VideoViT', arch=dict(patch_size=8, embed_dim=16, depth=DEPTH,
                                                 num_heads=2, mlp_ratio=2.),
                      img_size=16, num_frames=2, tubelet_size=2, cos_attn=cos_attn,
                      use_learnable_pos_emb=True),
        cls_head=dict(type='TimeSformerHead', num_classes=3, in_channels=16),
        data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW'))
    with DefaultScope.overwrite_default_scope('mmvideofm'):
        return MODELS.build(cfg)


def _build(model, rate=0.5, **paramwise):
    with DefaultScope.overwrite_default_scope('mmvideofm'):
        constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
            type='LayerDecayOptimWrapperConstructor',
            optim_wrapper_cfg=dict(type='OptimWrapper', optimizer=dict(
                type='AdamW', lr=1e-3, weight_decay=0.05)),
            paramwise_cfg=dict(layer_decay_rate=rate, **paramwise)))
        return constructor(model)


def _by_name(optim_wrapper):
    out = {}
    for group in optim_wrapper.optimizer.param_groups:
        for name in group['param_names']:
            out[name] = group
    return out


def test_layer_scales_and_weight_decay():
    model = _recognizer(cos_attn=True)
    groups = _by_name(_build(model, rate=0.5))
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert set(groups) == trainable  # every parameter exactly once
    n_layers = DEPTH + 2
    expect = {
        'backbone.patch_embed.proj.weight': 0,
        'backbone.pos_embed': 0,
        'backbone.blocks.0.attn.qkv.weight': 1,
        'backbone.blocks.2.mlp.fc2.weight': 3,
        'backbone.fc_norm.weight': 4,
        'cls_head.fc_cls.weight': 4,
    }
    for name, layer_id in expect.items():
        assert groups[name]['layer_id'] == layer_id, name
        torch.testing.assert_close(groups[name]['lr'], 1e-3 * 0.5**(n_layers - 1 - layer_id))
    # official no-weight-decay rules: 1-D, biases, pos_embed, cosine-attention scale
    for name in ('backbone.pos_embed', 'backbone.blocks.0.attn.q_bias',
                 'backbone.blocks.1.norm1.weight', 'backbone.blocks.0.attn.proj.bias',
                 'backbone.blocks.2.attn.scale', 'cls_head.fc_cls.bias'):
        assert groups[name]['weight_decay'] == 0., name
    for name in ('backbone.blocks.0.attn.qkv.weight', 'backbone.patch_embed.proj.weight',
                 'cls_head.fc_cls.weight'):
        assert groups[name]['weight_decay'] == 0.05, name


def test_custom_keys_and_step():
    model = _recognizer()
    wrapper = _build(model, rate=0.9, custom_keys={'cls_head': dict(lr_mult=10.)})
    groups = _by_name(wrapper)
    torch.testing.assert_close(groups['cls_head.fc_cls.weight']['lr'], 1e-2)
    # the wrapper trains: one step changes the weights
    from mmaction.structures import ActionDataSample
    data = model.data_preprocessor(dict(
        inputs=[torch.randn(1, 3, 2, 16, 16) for _ in range(2)],
        data_samples=[ActionDataSample().set_gt_label(i) for i in (0, 2)]), training=True)
    before = model.backbone.blocks[0].attn.qkv.weight.detach().clone()
    wrapper.update_params(model(**data, mode='loss')['loss_cls'])
    assert not torch.equal(before, model.backbone.blocks[0].attn.qkv.weight)


def test_model_without_layer_depth_is_rejected():
    with pytest.raises(NotImplementedError, match='get_layer_depth'):
        _build(torch.nn.Sequential(torch.nn.Linear(2, 2)))


def test_name_does_not_shadow_upstream():
    from mmaction.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMACTION
    from mmpretrain.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMPRETRAIN
    name = 'LayerDecayOptimWrapperConstructor'
    assert name in OPTIM_WRAPPER_CONSTRUCTORS.module_dict
    assert name not in MMACTION.module_dict and name not in MMPRETRAIN.module_dict


def test_default_paramwise_and_state_dict_roundtrip():
    model = _recognizer()
    with DefaultScope.overwrite_default_scope('mmvideofm'):
        wrapper = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
            type='LayerDecayOptimWrapperConstructor',
            optim_wrapper_cfg=dict(type='OptimWrapper', optimizer=dict(
                type='AdamW', lr=1e-3, weight_decay=0.05))))(model)
    groups = _by_name(wrapper)
    assert groups['backbone.pos_embed']['weight_decay'] == 0.  # rules apply without cfg
    assert {g['lr'] for g in wrapper.optimizer.param_groups} == {1e-3}
    fresh = _build(_recognizer(), rate=1.0)
    fresh.load_state_dict(wrapper.state_dict())  # resume-compatible groups
