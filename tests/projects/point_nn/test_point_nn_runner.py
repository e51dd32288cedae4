"""Runner integration: MemoryBankBuildLoop builds + saves the bank; TestLoop evaluates."""
import os

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmvideofm.engine.runner_utils import load_config

CONFIGS = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'configs', 'point_nn')


def _cfg(name: str, tmp_path, **overrides) -> Config:
    cfg = load_config(os.path.join(CONFIGS, name), work_dir=str(tmp_path))  # as tools/train.py
    cfg.custom_hooks = []
    cfg.default_hooks.pop('sync_buffers', None)
    cfg.merge_from_dict(overrides)
    return cfg


def _tiny_cls(cfg: Config, points: int = 128) -> None:
    prim = dict(num_points=points, noise=0.02, partial_prob=0.5, clutter_prob=0.3, rotate='z')
    for loader, n in (('train_dataloader', 6), ('test_dataloader', 3)):
        cfg[loader].dataset.num_per_class = n
        cfg[loader].dataset.primitive_cfg = prim


def test_point_nn_memory_bank_train_then_test(tmp_path):
    cfg = _cfg('point-nn_membank_primitives-synthetic.py', tmp_path)
    _tiny_cls(cfg)
    cfg.model.backbone.update(input_points=128, k_neighbors=12)
    runner = Runner.from_cfg(cfg)
    runner.train()
    ckpt = os.path.join(str(tmp_path), 'epoch_1.pth')
    state = torch.load(ckpt, weights_only=False)['state_dict']
    assert state['head.feature_memory'].shape == (1152, 48)
    gamma = float(state['head.gamma'])  # chosen by leave-one-out on the memory
    metrics = runner.test()
    assert metrics['acc/top1'] > 0.4  # 8 classes: chance 0.125
    # a fresh runner restores the bank (and gamma) from the checkpoint
    cfg2 = _cfg('point-nn_membank_primitives-synthetic.py', tmp_path / 'reload', load_from=ckpt)
    _tiny_cls(cfg2)
    cfg2.model.backbone.update(input_points=128, k_neighbors=12)
    cfg2.test_evaluator = [cfg2.test_evaluator, dict(type='OracleGammaAccuracy')]
    cfg2.model.update(oracle_gamma_search=True, oracle_gammas=[1.0, 10.0, gamma, 3000.0])
    runner2 = Runner.from_cfg(cfg2)
    metrics2 = runner2.test()
    assert float(runner2.model.head.gamma) == gamma
    assert metrics2['acc/top1'] == pytest.approx(metrics['acc/top1'])
    assert metrics2['point_nn/acc_tuned_on_test_set'] >= metrics['acc/top1'] * 100 - 1e-6
    assert 'point_nn/gamma_tuned_on_test_set' in metrics2


def test_point_nn_segmentation_runner(tmp_path):
    cfg = _cfg('point-nn-seg_prototypes_primitives-synthetic.py', tmp_path)
    cfg.model.backbone.update(input_points=128, embed_dim=36, k_neighbors=12)
    for loader, n in (('train_dataloader', 3), ('test_dataloader', 2)):
        cfg[loader].dataset.num_per_class = n
        cfg[loader].dataset.primitive_cfg = dict(num_points=128, noise=0.01)
    cfg.custom_hooks = [dict(type='PointCloudVisualizationHook', max_samples=2)]
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    assert metrics['part_seg/instance_miou'] > 50.0
    assert sorted(os.listdir(tmp_path / 'vis')) == ['0000.png', '0001.png']


def test_point_pn_runner_one_epoch(tmp_path):
    cfg = _cfg('point-pn_1xb32-cosine-20e_primitives-synthetic.py', tmp_path)
    _tiny_cls(cfg, points=64)
    cfg.val_dataloader.dataset.num_per_class = 2
    cfg.val_dataloader.dataset.primitive_cfg = cfg.train_dataloader.dataset.primitive_cfg
    cfg.test_dataloader = cfg.val_dataloader
    cfg.model.backbone.update(input_points=64, k_neighbors=8, embed_dim=12)
    cfg.model.head.in_channels = 96
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.param_scheduler = []
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert os.path.isfile(os.path.join(str(tmp_path), 'epoch_1.pth'))
    assert 'acc/top1' in runner.test()


def test_point_nn_loss_mode_is_explained():
    from mmvideofm.registry import MODELS
    model = MODELS.build(dict(type='PointNNClassifier',
                              backbone=dict(type='PointNNEncoder', input_points=64, k_neighbors=4),
                              head=dict(type='MemoryBankHead')))
    with pytest.raises(RuntimeError, match='MemoryBankBuildLoop'):
        model(torch.randn(2, 64, 3), mode='loss')


def test_modelnet40_config_on_exported_h5(tmp_path):
    """The real ModelNet40 config (run-script constants) on primitives in the h5 layout."""
    from mmvideofm.datasets.synthetic.primitives3d import export_modelnet40_h5
    root = tmp_path / 'modelnet40_ply_hdf5_2048'
    export_modelnet40_h5(str(root), train_per_class=2, test_per_class=1, num_points=1024,
                         noise=0.01)
    cfg = _cfg('point-nn_membank_modelnet40.py', tmp_path / 'work')
    for loader in ('train_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(root)
        cfg[loader].num_workers = 0
    cfg.model.head.num_classes = 8
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.model.head.feature_memory.shape == (1152, 16)
    assert runner.test()['acc/top1'] > 0.25  # 8 test clouds, chance 0.125


# part of the default suite: the README result this asserts must hold in CI
def test_synthetic_results_point_pn_beats_point_nn(tmp_path):
    """The README's synthetic numbers: Point-NN (no training) and Point-PN (20 epochs)."""
    nn_runner = Runner.from_cfg(_cfg('point-nn_membank_primitives-synthetic.py', tmp_path / 'nn'))
    nn_runner.train()
    nn_acc = nn_runner.test()['acc/top1']
    pn_runner = Runner.from_cfg(_cfg('point-pn_1xb32-cosine-20e_primitives-synthetic.py',
                                     tmp_path / 'pn'))
    pn_runner.train()
    pn_acc = pn_runner.test()['acc/top1']
    assert nn_acc > 0.6  # chance 0.125
    assert pn_acc > nn_acc
