"""Every released VideoMAE V2 checkpoint layout through the ``videomaev2`` converter."""
import runpy
from argparse import Namespace
from pathlib import Path

import pytest
import torch

from mmvideofm.checkpoint import get_converter, load_checkpoint_file, unwrap_state_dict
from mmvideofm.registry import MODELS
from projects.videomaev2.converter import (
    convert_k710_to_k400,
    convert_videomaev2,
    detect_layout,
    load_label_map,
)

ROOT = Path(__file__).parents[3]
DATA = ROOT / 'tests' / 'data' / 'videomaev2'


def _ft_sd():
    return torch.load(DATA / 'vmae2_ft_f16_s32__state_dict.pt', weights_only=True)


def _pt_sd():
    return torch.load(DATA / 'vmae2_pt_f16_s32_p8__state_dict.pt', weights_only=True)


def _to_mmaction2(sd):
    """What mmaction2's pre-converted files look like (configs/recognition/videomaev2)."""
    out = {}
    for k, v in sd.items():
        k = k.replace('patch_embed.proj.', 'patch_embed.projection.')
        k = k.replace('mlp.fc1.', 'mlp.layers.0.0.').replace('mlp.fc2.', 'mlp.layers.1.')
        out['cls_head.fc_cls.' + k[5:] if k.startswith('head.') else 'backbone.' + k] = v
    out['backbone.pos_embed'] = torch.zeros(1, 32, 48)  # persistent sinusoid buffer
    return out


def test_registered():
    assert get_converter('videomaev2') is convert_videomaev2
    assert get_converter('videomaev2/k710to400') is convert_k710_to_k400


def test_finetune_wrappers_and_sources_agree():
    sd = _ft_sd()
    ref = convert_videomaev2(sd)
    assert set(ref) == {'backbone.' + k for k in sd if not k.startswith('head.')} | {
        'cls_head.fc_cls.weight', 'cls_head.fc_cls.bias'}
    variants = {
        'model wrapper': {'model': sd, 'epoch': 3},
        'module wrapper (deepspeed)': {'module': sd},
        'torch.compile prefix': {'_orig_mod.' + k: v for k, v in sd.items()},
        'mmaction2 pre-converted': _to_mmaction2(sd),
        'already converted': ref,
    }
    for name, variant in variants.items():
        out = convert_videomaev2(variant)
        assert set(out) == set(ref), name
        assert all(torch.equal(out[k], ref[k]) for k in ref), name
    assert detect_layout(_to_mmaction2(sd)) == 'mmaction2'
    assert detect_layout(ref) == 'mmvideofm'


def test_pretrain_layout():
    sd = _pt_sd()
    out = convert_videomaev2({'model': sd, 'args': Namespace(lr=1.)})
    assert 'decoder.mask_token' in out and 'decoder.encoder_to_decoder.weight' in out
    assert 'backbone.norm.weight' in out and 'decoder.head.weight' in out
    assert not any(k.startswith('encoder') for k in out)
    bb = convert_videomaev2(sd, target='backbone')
    assert 'patch_embed.proj.weight' in bb and not any(k.startswith('decoder') for k in bb)


@pytest.mark.parametrize('umt_keys', [
    {'encoder.patch_embed.proj.weight': torch.zeros(8, 3, 1, 16, 16),
     'clip_decoder.0.head.weight': torch.zeros(4, 8)},
    {'patch_embed.proj.weight': torch.zeros(8, 3, 1, 16, 16), 'head.weight': torch.zeros(2, 8)},
    {'vision_encoder.encoder.patch_embed.proj.weight': torch.zeros(8, 3, 1, 16, 16),
     'text_encoder.bert.embeddings.word_embeddings.weight': torch.zeros(4, 8)},
])
def test_umt_checkpoint_refused(umt_keys):
    with pytest.raises(ValueError, match='looks like a UMT checkpoint.*convert_checkpoint.py umt'):
        convert_videomaev2(umt_keys)


def test_unknown_checkpoint_refused():
    with pytest.raises(ValueError, match='not a VideoMAE V2 checkpoint'):
        convert_videomaev2({'conv1.weight': torch.zeros(1)})


def test_k710_to_k400_head():
    label_map = load_label_map()
    assert len(label_map) == 400 and sorted(label_map) == sorted(set(label_map))
    assert max(label_map) < 710
    sd = _ft_sd()
    sd['head.weight'] = torch.arange(710.)[:, None].expand(710, 48).clone()
    sd['head.bias'] = torch.arange(710.)
    out = convert_k710_to_k400(sd)
    assert out['cls_head.fc_cls.weight'].shape == (400, 48)
    assert out['cls_head.fc_cls.bias'].tolist() == [float(i) for i in label_map]
    with pytest.raises(ValueError, match='needs 710'):
        convert_k710_to_k400(_ft_sd())  # a 5-way head
    with pytest.raises(ValueError, match='K710 classifier'):
        convert_k710_to_k400(_pt_sd())


def test_convert_tool_and_pretrained_init(tmp_path):
    """``tools/convert_checkpoint.py videomaev2`` on an official-style wrapped file, and a
    config pointing at the official file directly (``VideoMAEv2Pretrained`` init)."""
    src, dst = tmp_path / 'official.pth', tmp_path / 'ours.pth'
    torch.save({'model': _ft_sd(), 'epoch': 1, 'args': Namespace(model='vit')}, src)
    tool = runpy.run_path(str(ROOT / 'tools' / 'convert_checkpoint.py'), run_name='tool')
    tool['main'](['videomaev2', str(src), str(dst)])
    converted = unwrap_state_dict(load_checkpoint_file(dst))
    assert 'cls_head.fc_cls.weight' in converted

    backbone = MODELS.build(dict(
        type='VideoViT', img_size=32, patch_size=16, embed_dim=48, depth=2, num_heads=4,
        num_frames=16, init_cfg=dict(type='VideoMAEv2Pretrained', checkpoint=str(src))))
    backbone.init_weights()
    ref = _ft_sd()
    assert torch.equal(backbone.blocks[1].attn.q_bias, ref['blocks.1.attn.q_bias'])
    assert torch.equal(backbone.fc_norm.weight, ref['fc_norm.weight'])


def test_learnable_pos_embed_of_another_grid_is_resampled_on_load():
    """A checkpoint whose table was learned for 16 frames x 32 px loads into an 8-frame
    64 px model: the table is resampled (logged) instead of failing on the shape."""
    from mmvideofm.models.backbones import VideoViT
    sd = _ft_sd()
    sd['pos_embed'] = torch.randn(1, 8 * 2 * 2, 48)  # grid (8, 2, 2)
    out = convert_videomaev2(sd, target='backbone')
    assert out['pos_embed'].shape == (1, 32, 48)
    model = VideoViT(img_size=64, patch_size=16, embed_dim=48, depth=2, num_heads=4,
                     num_frames=8, num_classes=5, use_learnable_pos_emb=True)
    model.load_state_dict(out, strict=True)
    assert model.pos_embed.shape == (1, 4 * 4 * 4, 48)
    with pytest.raises(ValueError, match='Cannot infer the token grid'):
        VideoViT(img_size=64, patch_size=16, embed_dim=48, depth=2, num_heads=4, num_frames=8,
                 num_classes=5, use_learnable_pos_emb=True).load_state_dict(
                     dict(out, pos_embed=torch.randn(1, 7, 48)))
