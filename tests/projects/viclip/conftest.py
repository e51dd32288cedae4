"""Shared by the ViCLIP tests: the parity fixture's files and its tiny model config."""
import json
import os.path as osp

import pytest

DATA = osp.join(osp.dirname(__file__), '..', '..', 'data', 'viclip')
CASE = 'viclip_tiny_f8_s32'


def tiny_viclip_cfg() -> dict:
    """Our config of the fixture's constructor arguments (``manifest.json``)."""
    manifest = json.load(open(osp.join(DATA, 'manifest.json')))
    v, t = manifest[CASE]['vision_ctor'], manifest[CASE]['text_ctor']
    return dict(
        type='ViCLIP',
        vision_encoder=dict(type='CLIPVideoViT', arch=None,
                            input_resolution=v['input_resolution'],
                            patch_size=v['patch_size'], width=v['width'], layers=v['layers'],
                            heads=v['heads'], output_dim=v['output_dim'],
                            num_frames=v['num_frames'], drop_path_rate=v['drop_path'],
                            checkpoint_num=v['checkpoint_num']),
        text_encoder=dict(type='CLIPTextTransformer', arch=None,
                          context_length=t['context_length'], vocab_size=t['vocab_size'],
                          width=t['transformer_width'], heads=t['transformer_heads'],
                          layers=t['transformer_layers'], output_dim=t['embed_dim']),
        max_txt_len=t['context_length'])


@pytest.fixture(scope='session')
def viclip_cfg():
    """:func:`tiny_viclip_cfg` (call it for a fresh config)."""
    return tiny_viclip_cfg


@pytest.fixture(scope='session')
def data_dir() -> str:
    return DATA
