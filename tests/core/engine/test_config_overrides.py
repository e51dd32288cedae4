"""`--cfg-options data_root=...` reaches the paths a shipped config built from it (issue #10.10)."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmvideofm.engine.config_overrides import propagate_path_overrides
from mmvideofm.engine.runner_utils import load_config
from mmvideofm.registry import DATASETS
from tools.data.make_synthetic import main as make_synthetic
from tools.train import parse_args

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
DEMO = osp.join(REPO, 'configs/videovit/videovit-tiny-p8_scratch_synthetic-direction-16x32.py')
K400 = osp.join(REPO, 'configs/umt/umt-base-p16-res224_k710-pre-ft_u8_k400-rgb.py')


def cli_config(*argv: str) -> Config:
    """What tools/train.py builds from this command line (before the Runner)."""
    args = parse_args(list(argv))
    return load_config(args.config, args.cfg_options, args.work_dir, args.launcher)


def test_data_root_override_reaches_the_demo_datasets(tmp_path):
    root = str(tmp_path / 'my_direction')
    make_synthetic(['--out', root, '--num-train', '2', '--num-val', '1', '--num-test', '1',
                    '--frames', '16', '--size', '32', '--no-progress'])
    cfg = cli_config(DEMO, '--cfg-options', f'data_root={root}')
    init_default_scope('mmvideofm')
    for split, n in (('train', 2), ('val', 1), ('test', 1)):
        ds_cfg = cfg[f'{split}_dataloader'].dataset
        assert ds_cfg.ann_file == f'{root}/{split}.txt' and ds_cfg.data_prefix.video == root
        ds = DATASETS.build(ds_cfg)
        assert len(ds) == n and ds.get_data_info(0)['filename'].startswith(root + '/')
    assert ds[0]['inputs'].shape[-3:] == (16, 32, 32)  # the clip was read from the new root


def test_kinetics_variables_and_explicit_keys(tmp_path):
    cfg = cli_config(K400, '--cfg-options', 'data_root=/ds/k400/train', 'data_root_val=/ds/k400/val',
                     'ann_file_train=/ds/k400/train.txt', 'ann_file_val=/ds/k400/val.txt',
                     'test_dataloader.dataset.data_prefix.video=/elsewhere')
    assert cfg.train_dataloader.dataset.ann_file == '/ds/k400/train.txt'
    assert cfg.train_dataloader.dataset.data_prefix.video == '/ds/k400/train'
    assert cfg.val_dataloader.dataset.ann_file == '/ds/k400/val.txt'
    assert cfg.val_dataloader.dataset.data_prefix.video == '/ds/k400/val'
    assert cfg.test_dataloader.dataset.ann_file == '/ds/k400/val.txt'
    assert cfg.test_dataloader.dataset.data_prefix.video == '/elsewhere'  # explicit key wins


def test_only_path_variables_move():
    cfg = Config(dict(data_root='data/x', split='train', num_frames=16,
                      loader=dict(dataset=dict(ann_file='data/x/a.txt', data_prefix='data/xy',
                                               mode='train', frames=16)),
                      data_root_val='data/x'))
    moved = propagate_path_overrides(cfg, {'data_root': '/new/', 'split': 'val',
                                           'num_frames': 8})
    assert moved == {'loader.dataset.ann_file': '/new/a.txt', 'data_root_val': '/new/'}
    assert cfg.loader.dataset.data_prefix == 'data/xy'  # a sibling folder, not under data/x
    assert cfg.loader.dataset.mode == 'train' and cfg.loader.dataset.frames == 16
    with pytest.raises(ValueError, match='data_root and data_root_val.*cannot be told apart'):
        propagate_path_overrides(Config(dict(data_root='d/v', data_root_val='d/v')),
                                 {'data_root': '/a', 'data_root_val': '/b'})
