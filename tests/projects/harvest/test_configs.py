"""Every Harvest config parses, passes the config checker and builds (real sizes on the meta
device, with the parameter counts the README prints); the synthetic ones take a step."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

import projects.harvest  # noqa: F401
from mmvideofm.engine.config_check import check_config
from mmvideofm.registry import DATASETS, MODELS

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'harvest', '*.py')))
init_default_scope('mmvideofm')


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_config_checks(path):
    cfg = Config.fromfile(path)
    check_config(cfg)
    assert cfg.custom_imports.imports == ['projects.harvest']


@pytest.mark.parametrize('name, params_m', [
    ('harvest-base-p16_clip-b16_webvid10m-pre_u8-res224.py', 234.3),
    ('harvest-large-p14_clip-l14_webvid10m-pre_u8-res224.py', 585.1)])
def test_real_models_build(name, params_m):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'harvest', name))
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    n = sum(p.numel() for p in model.parameters()) / 1e6
    assert round(n, 1) == params_m
    assert model.video_drop_ratio == 0.9 and model.mlm_mask_prob == 0.15
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert 'text_encoder.token_embedding.weight' in frozen
    assert 'text_encoder.text_mask_embedding' not in frozen


@pytest.mark.parametrize('name', ['harvest-tiny-p8_image-clip_synthetic-1x32.py',
                                  'harvest-tiny-p8_post-pretrain_synthetic-8x32.py'])
def test_synthetic_configs_train_step(name):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'harvest', name))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    ds = DATASETS.build(dict(cfg.train_dataloader.dataset, num_samples=4))
    data = model.data_preprocessor(pseudo_collate([ds[i] for i in range(4)]), training=True)
    frames = 1 if 'image' in name else 8
    assert data['inputs'].shape[-4:] == (3, frames, 32, 32)  # (4, [views,] C, T, H, W)
    losses = model(**data, mode='loss')
    sum(losses.values()).backward()
    assert all(torch.isfinite(v) for v in losses.values())
    assert model.backbone.conv1.weight.grad is not None
