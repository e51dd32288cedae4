"""Every UMT config parses and names registered things; the synthetic ones build and step."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

import projects.umt  # noqa: F401
from mmvideofm.engine.config_check import check_config
from mmvideofm.registry import DATASETS, MODELS

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'umt', '*.py')))
init_default_scope('mmvideofm')


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_config_checks(path):
    cfg = Config.fromfile(path)
    check_config(cfg)
    assert cfg.custom_imports.imports == ['projects.umt']


def _batch(cfg, n=4):
    ds_cfg = dict(cfg.train_dataloader.dataset)
    ds_cfg['num_samples'] = n
    ds = DATASETS.build(ds_cfg)
    return pseudo_collate([ds[i] for i in range(n)])


@pytest.mark.parametrize('name', ['umt-tiny-p8_stage1_synthetic-8x32.py',
                                  'umt-tiny-p8_stage2_synthetic-8x32.py',
                                  'umt-tiny-p8_ft_synthetic-direction-8x32.py',
                                  'umt-tiny-p4_stage1_synthetic-4x32.py',
                                  'umt-tiny-p4_ft_synthetic-direction-4x32.py'])
def test_synthetic_configs_train_step(name):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'umt', name))
    if 'teacher' in cfg.model:
        cfg.model.teacher.init_cfg = None  # the teacher file is made by synthetic.py
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    data = model.data_preprocessor(_batch(cfg), training=True)
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total)
    total.backward()
    grads = [p.grad for n, p in model.named_parameters() if n.startswith('backbone.blocks')]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    if 'teacher' in cfg.model:
        assert all(p.grad is None for p in model.teacher.parameters())
