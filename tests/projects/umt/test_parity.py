"""Official UMT outputs (shared/parity/umt fixtures) reproduced through the converter."""
import os.path as osp

import pytest
import torch
from mmengine.registry import init_default_scope

import projects.umt  # noqa: F401
from mmvideofm.checkpoint import get_converter, load_state_dict_checked
from mmvideofm.models.layers import build_sinusoid_pos_embed, get_sinusoid_encoding_table
from mmvideofm.registry import MODELS

DATA = osp.join(osp.dirname(__file__), '..', '..', 'data', 'umt')
TOL = dict(atol=1e-5, rtol=1e-5)
init_default_scope('mmvideofm')


def _load(name):
    return torch.load(osp.join(DATA, name), weights_only=True)


FT_CASES = {
    'umt_ft_f8_s32': dict(img_size=32, embed_dim=64, depth=2, num_heads=4, all_frames=8),
    'umt_ft_f16_s48': dict(img_size=48, embed_dim=48, depth=2, num_heads=3, all_frames=16),
}


@pytest.mark.parametrize('case', sorted(FT_CASES))
def test_finetune_parity_recognizer(case):
    """Official fine-tuned dict -> converter -> mmaction2 Recognizer3D(UMTViT + head)."""
    sd, io = _load(f'{case}__state_dict.pt'), _load(f'{case}__io.pt')
    model = MODELS.build(dict(
        type='Recognizer3D',
        backbone=dict(type='UMTViT', patch_size=16, **FT_CASES[case]),
        cls_head=dict(type='TimeSformerHead', num_classes=5,
                      in_channels=FT_CASES[case]['embed_dim'])))
    model.eval()
    # the official construction-time table equals ours (it is checked, not just loaded)
    torch.testing.assert_close(model.backbone.pos_embed.detach(), io['pos_embed_constructed'],
                               atol=1e-6, rtol=0)
    load_state_dict_checked(model, get_converter('umt')(sd), strict=True)
    with torch.no_grad():
        feats = model.backbone(io['video'])
        logits = model.cls_head(feats)
        hidden = model.backbone.forward_intermediates(io['video'])[1]
    torch.testing.assert_close(feats, io['features'], **TOL)
    torch.testing.assert_close(logits, io['logits'], **TOL)
    for i, h in enumerate(hidden):
        torch.testing.assert_close(h, io[f'hidden_states.{i}'], **TOL)


def test_finetune_parity_bare_with_head():
    """The bare backbone with its own ``head`` loads the official dict as is (strict)."""
    sd, io = _load('umt_ft_f8_s32__state_dict.pt'), _load('umt_ft_f8_s32__io.pt')
    model = MODELS.build(dict(type='UMTViT', patch_size=16, num_classes=5,
                              **FT_CASES['umt_ft_f8_s32'])).eval()
    model.load_state_dict(sd, strict=True)
    with torch.no_grad():
        torch.testing.assert_close(model(io['video']), io['logits'], **TOL)


def _pretrain_model():
    return MODELS.build(dict(
        type='UMT',
        backbone=dict(type='UMTViT', img_size=80, patch_size=16, embed_dim=48, depth=3,
                      num_heads=4, num_frames=4, use_mean_pooling=False,
                      pos_embed_base_thw=None),
        teacher=dict(type='CLIPVisual', arch=None, input_resolution=80, patch_size=16, width=32,
                     layers=3, heads=4, output_dim=40, return_layers=2),
        clip_return_layer=2)).eval()


def test_pretrain_parity():
    """Stage-1 student, clip decoders, teacher, targets and losses."""
    conv = get_converter('umt')
    io, tio = _load('umt_pt_f4_s80__io.pt'), _load('umt_pt_f4_s80_teacher__io.pt')
    model = _pretrain_model()
    sd = conv(_load('umt_pt_f4_s80__state_dict.pt'))
    sd.update(conv(_load('umt_pt_f4_s80_teacher__state_dict.pt')))
    load_state_dict_checked(model, sd, strict=True)
    video, mask = io['video'], io['mask']
    with torch.no_grad():
        torch.testing.assert_close(model.backbone.pos_embed, io['pos_embed'], atol=0, rtol=0)
        torch.testing.assert_close(model.clip_pos_embed, io['clip_pos_embed'], atol=0, rtol=0)
        _, hidden = model.backbone.forward_intermediates(video, mask)
        for i, h in enumerate(hidden):
            torch.testing.assert_close(h, io[f'encoder_hidden_states.{i}'], **TOL)
        _, x_clip = model.forward_student(video, mask)
        torch.testing.assert_close(x_clip, io['x_clip'], **TOL)
        feats, attn = model.teacher(video)
        torch.testing.assert_close(feats, tio['norm_clip'], **TOL)
        torch.testing.assert_close(attn, tio['attn'], **TOL)
        targets = model.gather_targets(feats, mask)
        torch.testing.assert_close(targets, tio['targets_clip'], **TOL)
        torch.testing.assert_close(model.gather_targets(io['teacher_norm_clip'], mask),
                                   io['targets_clip'], **TOL)
        # losses: official l2 / mse / smooth_l1 on the fixture's student and targets
        for kind in ('l2', 'mse', 'smooth_l1'):
            loss = MODELS.build(dict(type='AlignLoss', loss_type=kind))
            torch.testing.assert_close(loss(io['x_clip'], io['targets_clip']),
                                       io[f'loss_clip_{kind}'], **TOL)
            torch.testing.assert_close(loss(x_clip, targets), tio[f'loss_clip_{kind}'], **TOL)
        torch.testing.assert_close(model.loss_module(x_clip, io['targets_clip']).reshape(1),
                                   io['loss_total_l2'], **TOL)


def test_semantic_mask_counts():
    """Per frame exactly HW - int(HW * 0.8) tokens stay visible, drawn from teacher attention."""
    model = _pretrain_model()
    model.mask_seed = 0
    video = _load('umt_pt_f4_s80__io.pt')['video']
    with torch.no_grad():
        targets, mask = model.encode_teacher(video)
    assert mask.shape == (2, 100) and mask.dtype == torch.bool
    per_frame = (~mask).reshape(2, 4, 25).sum(-1)
    assert (per_frame == 25 - int(25 * 0.8)).all()
    assert targets.shape == (2, 2, 20, 40)


@pytest.mark.parametrize('key', ['table_n1568_d64', 'interp_n32_d64_f8', 'interp_n144_d64_f16',
                                 'interp_n3136_d8_f16', 'interp_n392_d32_f8'])
def test_sinusoid(key):
    ref = _load('umt_sinusoid.pt')[key]
    n, d = ref.shape[1:]
    if key.startswith('table'):
        ours = get_sinusoid_encoding_table(n, d)
    else:
        t = int(key.rsplit('_f', 1)[1])
        side = int(round((n // t) ** 0.5))
        ours = build_sinusoid_pos_embed((t, side, side), d, base_thw=(8, 14, 14))
    torch.testing.assert_close(ours, ref, **TOL)
