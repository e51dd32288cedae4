"""Harvest converters: official CoTrain files, a CLIP image model as the post-pretraining
start (tiny open_clip saved locally), wrong files refused with the keys and the converter."""
from __future__ import annotations

import os.path as osp

import open_clip
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

import projects.harvest  # noqa: F401
from mmvideofm.checkpoint import StateDictMismatchError, get_converter
from mmvideofm.registry import MODELS
from projects.harvest.converter import NotHarvestCheckpointError, convert_harvest

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
DATA = osp.join(REPO, 'tests', 'data', 'harvest')
init_default_scope('mmvideofm')


#: open_clip ViT CLIP with the synthetic configs' tower sizes (random weights)
CLIP_CFG = dict(embed_dim=32, quick_gelu=True,
                vision_cfg=dict(layers=4, width=64, patch_size=8, image_size=32, head_width=16),
                text_cfg=dict(context_length=24, vocab_size=49408, width=64, heads=4, layers=2))


def tiny_clip(width: int = 64) -> torch.nn.Module:
    torch.manual_seed(1)
    cfg = dict(CLIP_CFG, vision_cfg=dict(CLIP_CFG['vision_cfg'], width=width))
    return open_clip.model.CLIP(**cfg).eval()


def harvest_from(checkpoint: str) -> torch.nn.Module:
    model = MODELS.build(dict(
        type='Harvest',
        backbone=dict(type='HarvestViT', arch=None, input_resolution=32, patch_size=8,
                      width=64, layers=4, heads=4, output_dim=32, return_list=(2, 3)),
        text_encoder=dict(type='HarvestCLIPText', arch=None, context_length=24, width=64,
                          heads=4, layers=2, output_dim=32),
        tokenizer=dict(type='CLIPTokenizer', context_length=24),
        fusion_decoder=dict(n_layers=1, num_visual_queries=4), max_txt_len=24,
        init_cfg=dict(type='HarvestPretrained', checkpoint=checkpoint)))
    model.init_weights()
    return model.eval()


def test_clip_start_reproduces_the_image_model(tmp_path):
    """After loading a CLIP image model, the video model of one frame is that CLIP (the
    extractor starts as the identity, official zero init) and the text tower is CLIP's."""
    clip = tiny_clip()
    path = tmp_path / 'ViT-tiny.pt'
    torch.save(clip.state_dict(), path)
    model = harvest_from(str(path))
    image = torch.randn(2, 3, 32, 32)
    text = model.tokenize(['a red circle moves left', 'a cat'], 'cpu')
    with torch.no_grad():
        ours_v = model.encode_vision(image[:, :, None])[1][:, 0]
        ours_t = model.encode_text(text)[1]
        ref_v, ref_t = clip.encode_image(image), clip.encode_text(text.input_ids)
    assert torch.allclose(ours_t, ref_t, atol=1e-5)
    # the mix 0.5 * (zero temporal [CLS]) + 0.5 * frame [CLS] only meets ln_post's eps
    assert torch.allclose(F.normalize(ours_v, dim=-1), F.normalize(ref_v, dim=-1), atol=1e-4)
    assert model.logit_scale.item() == pytest.approx(clip.logit_scale.item())


def test_clip_of_another_size_lists_keys_and_converter(tmp_path):
    path = tmp_path / 'ViT-other.pt'
    torch.save(tiny_clip(width=48).state_dict(), path)
    with pytest.raises(StateDictMismatchError) as err:
        harvest_from(str(path))
    msg = str(err.value)
    assert 'shape mismatches' in msg and 'backbone.conv1.weight' in msg
    assert 'missing keys' in msg and 'harvest/clip' in msg


def test_official_converter_refuses_other_files():
    clip_sd = {k: v for k, v in tiny_clip().state_dict().items()}
    with pytest.raises(NotHarvestCheckpointError, match='harvest/clip'):
        convert_harvest(clip_sd)
    with pytest.raises(NotHarvestCheckpointError, match='viclip'):
        convert_harvest({'vision_encoder.conv1.weight': torch.zeros(1)})
    official = torch.load(osp.join(DATA, 'harvest_tiny_f8_s48__state_dict.pt'),
                          weights_only=True)
    out = get_converter('harvest')(official)
    assert 'backbone.proj' in out and 'text_encoder.text_mask_embedding' in out
    assert 'caption_decoder.multimodal_layers.0.0.fn.rotary_emb.inv_freq' in out


def test_convert_checkpoint_tool(tmp_path):
    src, dst = tmp_path / 'clip.pt', tmp_path / 'harvest_init.pth'
    torch.save(tiny_clip().state_dict(), src)
    from tools.convert_checkpoint import main  # in process: the plugins are imported
    assert main(['harvest/clip', str(src), str(dst)]) == 0
    sd = torch.load(dst, weights_only=True)['state_dict']
    assert sd['backbone.conv1.weight'].shape == (64, 3, 1, 8, 8)
    assert 'text_encoder.token_embedding.weight' in sd and 'logit_scale' in sd
