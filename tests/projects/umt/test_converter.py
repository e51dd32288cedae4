"""The 'umt' converter: every released layout, wrappers, refusals, and the CLI."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.registry import init_default_scope

import projects.umt  # noqa: F401
from mmvideofm.checkpoint import get_converter, load_state_dict_checked, unwrap_state_dict
from mmvideofm.registry import MODELS
from projects.umt.converter import NotUMTCheckpointError, detect_umt_layout

DATA = osp.join(osp.dirname(__file__), '..', '..', 'data', 'umt')
REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
init_default_scope('mmvideofm')


def _ft_sd():
    return torch.load(osp.join(DATA, 'umt_ft_f8_s32__state_dict.pt'), weights_only=True)


def _recognizer():
    return MODELS.build(dict(
        type='Recognizer3D',
        backbone=dict(type='UMTViT', patch_size=16, img_size=32, embed_dim=64, depth=2,
                      num_heads=4, num_frames=8),
        cls_head=dict(type='TimeSformerHead', num_classes=5, in_channels=64)))


@pytest.mark.parametrize('wrap', [None, 'model', 'module'])
def test_finetune_wrappers(wrap):
    sd = _ft_sd()
    ckpt = sd if wrap is None else {wrap: sd, 'epoch': 3}
    out = get_converter('umt')(unwrap_state_dict(ckpt))
    assert detect_umt_layout(sd) == 'finetune'
    assert 'cls_head.fc_cls.weight' in out and 'backbone.blocks.0.attn.q_bias' in out
    load_state_dict_checked(_recognizer(), out, strict=True)


def test_mmaction2_preconverted_is_identity():
    conv = get_converter('umt')
    mm = conv(_ft_sd())  # mmaction2's files use exactly these names
    assert detect_umt_layout(mm) == 'mmaction2'
    assert conv(mm).keys() == mm.keys()


def test_stage1_and_prefixes():
    sd = torch.load(osp.join(DATA, 'umt_pt_f4_s80__state_dict.pt'), weights_only=True)
    assert detect_umt_layout(sd) == 'stage1'
    out = get_converter('umt')(sd)
    assert 'backbone.norm.weight' in out and 'clip_decoder.1.head.weight' in out
    assert not any(k.startswith('encoder.') for k in out)


def test_clip_teacher_layouts():
    conv = get_converter('umt')
    tsd = torch.load(osp.join(DATA, 'umt_pt_f4_s80_teacher__state_dict.pt'), weights_only=True)
    out = conv(tsd)  # UMT's Conv3d teacher -> OpenAI Conv2d names under teacher.
    assert out['teacher.conv1.weight'].ndim == 4
    whole_clip = {f'visual.{k}': v for k, v in tsd.items()}
    whole_clip['token_embedding.weight'] = torch.zeros(3, 2)
    whole_clip['transformer.resblocks.0.attn.in_proj_weight'] = torch.zeros(6, 2)  # text tower
    out2 = conv(whole_clip)
    assert out2.keys() == out.keys()


def test_refuses_videomaev2():
    conv = get_converter('umt')
    pretrain = {'encoder.patch_embed.proj.weight': torch.zeros(8, 3, 2, 16, 16),
                'decoder.blocks.0.norm1.weight': torch.zeros(8), 'mask_token': torch.zeros(1)}
    with pytest.raises(NotUMTCheckpointError, match='VideoMAE V2'):
        conv(pretrain)
    ft = dict(_ft_sd())
    ft['patch_embed.proj.weight'] = torch.zeros(64, 3, 2, 16, 16)  # tubelet 2
    with pytest.raises(NotUMTCheckpointError, match='tubelet 2'):
        conv(ft)
    with pytest.raises(NotUMTCheckpointError, match='unrecognised'):
        conv({'foo.weight': torch.zeros(1)})


def test_cli_converts_wrapped_file(tmp_path):
    src = tmp_path / 'b16_ft.pth'
    torch.save({'module': _ft_sd()}, src)
    dst = tmp_path / 'out.pth'
    env = dict(PYTHONPATH=REPO, OMP_NUM_THREADS='1', PATH='/usr/bin:/bin')
    subprocess.run([sys.executable, osp.join(REPO, 'tools', 'convert_checkpoint.py'), 'umt',
                    str(src), str(dst)], check=True, cwd=REPO, env=env, capture_output=True)
    out = torch.load(dst, weights_only=True)['state_dict']
    load_state_dict_checked(_recognizer(), out, strict=True)


def test_config_points_at_official_file(tmp_path):
    """``init_cfg=dict(type='UMTPretrained', checkpoint=<official file>)`` on the backbone."""
    io = torch.load(osp.join(DATA, 'umt_ft_f8_s32__io.pt'), weights_only=True)
    path = tmp_path / 'b16_ft.pth'
    torch.save({'model': _ft_sd()}, path)  # official wrapper, official keys
    model = MODELS.build(dict(
        type='Recognizer3D',
        backbone=dict(type='UMTViT', patch_size=16, img_size=32, embed_dim=64, depth=2,
                      num_heads=4, num_frames=8,
                      init_cfg=dict(type='UMTPretrained', checkpoint=str(path))),
        cls_head=dict(type='TimeSformerHead', num_classes=5, in_channels=64)))
    model.init_weights()
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(model.backbone(io['video']), io['features'], atol=1e-5,
                                   rtol=1e-5)
    # a teacher from a stage-1 teacher file
    teacher = MODELS.build(dict(
        type='CLIPVisual', arch=None, input_resolution=80, patch_size=16, width=32, layers=3,
        heads=4, output_dim=40, return_layers=2,
        init_cfg=dict(type='UMTPretrained',
                      checkpoint=osp.join(DATA, 'umt_pt_f4_s80_teacher__state_dict.pt'))))
    teacher.init_weights()
    tio = torch.load(osp.join(DATA, 'umt_pt_f4_s80_teacher__io.pt'), weights_only=True)
    video = torch.load(osp.join(DATA, 'umt_pt_f4_s80__io.pt'), weights_only=True)['video']
    with torch.no_grad():
        torch.testing.assert_close(teacher(video)[0], tio['norm_clip'], atol=1e-5, rtol=1e-5)


def test_k710_to_k400_keeps_the_first_400_head_rows():
    """As the official fine-tuning: a 710-way head meets a 400-class run -> rows [:400]."""
    sd = dict(_ft_sd())
    width = sd['head.weight'].shape[1]
    sd['head.weight'] = torch.randn(710, width)
    sd['head.bias'] = torch.randn(710)
    out = get_converter('umt/k710to400')({'module': sd}['module'])
    assert torch.equal(out['cls_head.fc_cls.weight'], sd['head.weight'][:400])
    assert torch.equal(out['cls_head.fc_cls.bias'], sd['head.bias'][:400])
    assert torch.equal(out['backbone.fc_norm.weight'], sd['fc_norm.weight'])
    with pytest.raises(ValueError, match='needs 710'):
        get_converter('umt/k710to400')(_ft_sd())  # a 5-way head
    stage1 = torch.load(osp.join(DATA, 'umt_pt_f4_s80__state_dict.pt'), weights_only=True)
    with pytest.raises(ValueError, match='K710 fine-tuned'):
        get_converter('umt/k710to400')(stage1)
