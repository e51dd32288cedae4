"""ViCLIP converter: every released layout (trainer .pth with a pickled EasyDict config, -hf
safetensors), other models' files refused by name, wrong sizes listed with the converter."""
import os.path as osp
import subprocess
import sys
import types

import pytest
import torch
from mmengine.registry import init_default_scope
from safetensors.torch import save_file

import projects.viclip  # noqa: F401
from mmvideofm.checkpoint import (
    StateDictMismatchError,
    UnsafeCheckpointError,
    get_converter,
    load_checkpoint_file,
    load_state_dict_checked,
)
from mmvideofm.registry import MODELS
from projects.viclip.converter import (
    NotViCLIPCheckpointError,
    load_viclip_checkpoint,
    viclip_arch_of,
)

init_default_scope('mmvideofm')
REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
sys.path.insert(0, REPO)

from tools import convert_checkpoint as convert_tool  # noqa: E402


@pytest.fixture(scope='module')
def official(data_dir):
    return load_checkpoint_file(osp.join(data_dir, 'viclip_tiny_f8_s32__state_dict.pt'))


def _easydict_module():
    """A stand-in for InternVideo's ``utils.easydict.EasyDict`` (pickled by its trainer)."""
    mod = types.ModuleType('utils.easydict')

    class EasyDict(dict):
        def __init__(self, d=None):
            super().__init__()
            for k, v in (d or {}).items():
                setattr(self, k, v)

        def __setattr__(self, name, value):
            value = EasyDict(value) if isinstance(value, dict) else value
            super().__setattr__(name, value)
            super().__setitem__(name, value)

    EasyDict.__module__ = 'utils.easydict'
    EasyDict.__qualname__ = 'EasyDict'
    mod.EasyDict = EasyDict
    pkg = types.ModuleType('utils')
    pkg.easydict = mod
    return pkg, mod


def test_trainer_pth_with_pickled_config_loads_safely(tmp_path, official, monkeypatch, viclip_cfg):
    pkg, mod = _easydict_module()
    monkeypatch.setitem(sys.modules, 'utils', pkg)
    monkeypatch.setitem(sys.modules, 'utils.easydict', mod)
    config = mod.EasyDict(dict(model=dict(vision_encoder=dict(name='vit_l14')), lr=4e-4))
    path = str(tmp_path / 'ViCLIP-L_InternVid-FLT-10M.pth')
    torch.save({'model': official, 'config': config, 'epoch': 9,
                'optimizer': {'state': {}, 'param_groups': [{'lr': 4e-4}]}}, path)
    monkeypatch.delitem(sys.modules, 'utils.easydict')  # nothing of it may be imported
    monkeypatch.delitem(sys.modules, 'utils')
    ckpt = load_checkpoint_file(path)
    assert type(ckpt['config']).__module__ == 'collections'  # a plain OrderedDict
    assert ckpt['config']['lr'] == 4e-4
    sd = load_viclip_checkpoint(path)
    assert sd.keys() == official.keys()
    model = MODELS.build(viclip_cfg())
    load_state_dict_checked(model, sd, strict=True, converter_hint='viclip')
    # through the tool, as a user runs it
    out = str(tmp_path / 'converted.pth')
    assert convert_tool.main(['viclip', path, out]) == 0
    assert torch.load(out, weights_only=True)['state_dict'].keys() == official.keys()


def test_other_pickled_classes_still_refused(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'model': {}, 'obj': subprocess.CompletedProcess([], 0)}, path)
    with pytest.raises(UnsafeCheckpointError, match='CompletedProcess'):
        load_checkpoint_file(path)


@pytest.mark.parametrize('prefix', ['', 'model.'])
def test_hf_safetensors(tmp_path, official, prefix):
    path = str(tmp_path / 'model.safetensors')
    save_file({prefix + k: v.contiguous() for k, v in official.items()}, path)
    sd = get_converter('viclip')(load_checkpoint_file(path))
    assert sd.keys() == official.keys()
    assert all(torch.equal(sd[k], official[k]) for k in sd)
    with pytest.raises(ValueError, match='neither ViCLIP-B'):
        viclip_arch_of(sd)


@pytest.mark.parametrize('keys,match', [
    ({'vision_encoder.encoder.blocks.0.attn.qkv.weight': 1, 'text_encoder.bert.x': 1}, 'UMT'),
    ({'encoder.blocks.0.x': 1, 'decoder.blocks.0.x': 1, 'mask_token': 1}, 'VideoMAE'),
    ({'visual.class_embedding': 1, 'logit_scale': 1}, 'viclip/from_clip'),
    ({'blocks.0.attn.qkv.weight': 1, 'patch_embed.proj.weight': 1}, 'video backbone'),
    ({'foo.bar': 1}, 'unrecognised'),
])
def test_foreign_checkpoints_are_refused_by_name(keys, match):
    sd = {k: torch.zeros(1) for k in keys}
    with pytest.raises(NotViCLIPCheckpointError, match=match):
        get_converter('viclip')(sd)


def test_wrong_size_lists_keys_and_names_the_converter(official, viclip_cfg):
    """A ViCLIP-tiny file into a model of other sizes: mismatches listed, converter named."""
    cfg = viclip_cfg()
    cfg['vision_encoder'].update(width=64, heads=4)
    model = MODELS.build(cfg)
    with pytest.raises(StateDictMismatchError) as err:
        load_state_dict_checked(model, get_converter('viclip')(official), strict=True,
                                converter_hint='viclip')
    msg = str(err.value)
    assert 'shape mismatches' in msg and 'vision_encoder.class_embedding' in msg
    assert 'convert_checkpoint.py viclip' in msg
    sd = dict(get_converter('viclip')(official))
    sd.pop('temp')
    sd['extra.weight'] = torch.zeros(1)
    with pytest.raises(StateDictMismatchError, match=r'missing keys \(1\): temp'):
        load_state_dict_checked(MODELS.build(viclip_cfg()), sd, strict=True,
                                converter_hint='viclip')
