"""configs/viclip: every config passes the config checker and builds (meta device); the
metafile's entries name existing configs with the parameter counts the models have; the
training recipe keeps decay off temp / embeddings / norms / biases."""
import functools
import re
from pathlib import Path

import torch
import yaml
from mmengine.config import Config
from mmengine.registry import init_default_scope

import projects.viclip  # noqa: F401
from mmvideofm.engine.config_check import check_config
from mmvideofm.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS

REPO = Path(__file__).parents[3]
CONFIGS = sorted((REPO / 'configs' / 'viclip').glob('*.py'))
init_default_scope('mmvideofm')


@functools.cache
def _params(model_cfg: str) -> int:
    """Parameter count of a model config (its repr as the cache key), built on meta."""
    with torch.device('meta'):
        model = MODELS.build(eval(model_cfg))  # noqa: S307 - our own dict repr
    return sum(p.numel() for p in model.parameters())


def test_configs_check_and_build():
    for path in CONFIGS:
        cfg = Config.fromfile(str(path))
        check_config(cfg)
        assert _params(repr(cfg.model.to_dict())) > 0, path.name


def test_metafile_entries():
    meta = yaml.safe_load((REPO / 'configs' / 'viclip' / 'metafile.yml').read_text())
    assert [c['Name'] for c in meta['Collections']] == ['ViCLIP']
    for entry in meta['Models']:
        cfg = Config.fromfile(str(REPO / entry['Config']))
        printed = re.match(r'([\d.]+)M', entry['Metadata']['Parameters']).group(1)
        assert f'{_params(repr(cfg.model.to_dict())) / 1e6:.1f}' == printed, entry['Name']


def test_stage1_weight_decay_groups():
    cfg = Config.fromfile(str(REPO / 'configs/viclip/'
                              'viclip-base-p16_internvid-10m-flt_stage1-mask0.9_u8-res224.py'))
    model = MODELS.build(dict(cfg.model, vision_encoder=dict(
        cfg.model.vision_encoder, arch=None, input_resolution=32, patch_size=16, width=32,
        layers=1, heads=2, output_dim=16), text_encoder=dict(
        cfg.model.text_encoder, arch=None, width=16, heads=2, layers=1, output_dim=16)))
    wrapper = dict(cfg.optim_wrapper, type='OptimWrapper')
    wrapper.pop('dtype')
    ctor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(type='DefaultOptimWrapperConstructor',
                                                 optim_wrapper_cfg=wrapper,
                                                 paramwise_cfg=wrapper.pop('paramwise_cfg')))
    optim = ctor(model).optimizer
    names = {id(p): n for n, p in model.named_parameters()}
    decay = {names[id(p)] for g in optim.param_groups if g['weight_decay'] > 0
             for p in g['params']}
    assert decay and all(n.endswith(('weight', 'proj')) and 'ln_' not in n for n in decay)
    for name in ('temp', 'vision_encoder.positional_embedding', 'vision_encoder.class_embedding',
                 'vision_encoder.temporal_positional_embedding'):
        assert name not in decay
    assert 'vision_encoder.transformer.resblocks.0.attn.in_proj_weight' in decay
    assert optim.defaults['betas'] == (0.9, 0.98) and optim.defaults['lr'] == 2e-4
