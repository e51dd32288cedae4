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
        cfg.model.teacher.init_cfg = None  # the teacher file is made by its teacher config
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


REAL = [p for p in CONFIGS if 'synthetic' not in osp.basename(p)]


@pytest.mark.parametrize('path', REAL, ids=[osp.basename(p) for p in REAL])
def test_real_data_config_model_builds(path):
    cfg = Config.fromfile(path)
    if 'text_encoder' in cfg.model:
        pytest.skip('needs the BERT tokenizer / weights (bert-*-uncased) from the hub')
    blending = cfg.model.data_preprocessor.pop('blending', None)
    if blending is not None:  # mixup / cutmix: Beta distributions, built on CPU
        MODELS.build(blending)
    with torch.device('meta'):  # full size, no memory
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 80e6
    assert cfg.train_dataloader.dataset.pipeline[0].type == 'VideoInit'
    assert cfg.train_dataloader.dataset.pipeline[2].type == 'VideoDecode'


def test_finetune_configs_carry_the_official_augmentation():
    for name in ('umt-base-p16-res224_k710-pre-ft_u8_k710-rgb.py',
                 'umt-base-p16-res224_k710-pre_u8_ssv2-rgb.py',
                 'umt-large-p16-res224_k710-pre-ft_u8_k400-rgb.py'):
        cfg = Config.fromfile(osp.join(REPO, 'configs', 'umt', name))
        steps = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
        assert (steps['VideoRandAugment'].auto_augment, steps['VideoRandAugment'].input_size,
                steps['VideoRandAugment'].interpolation) == ('rand-m7-n4-mstd0.5-inc1', 224,
                                                             'bicubic')
        # as the official code: RandAugment on the decoded frames, before resize and crop
        types = [t.type for t in cfg.train_dataloader.dataset.pipeline]
        assert types.index('VideoRandAugment') == types.index('VideoDecode') + 1
        assert steps['RandomErasing'].erase_prob == 0.25
        assert cfg.model.cls_head.label_smooth_eps == 0.1
        assert [a.alpha for a in cfg.model.data_preprocessor.blending.augments] == [0.8, 1.0]
        ds = cfg.train_dataloader.dataset
        assert (ds.type, ds.num_repeats, ds.sample_once) == ('VideoRepeatAugDataset', 2, True)
        assert ('Flip' in steps) == ('ssv2' not in name)


def test_label_smoothing_on_mixed_targets_matches_timm():
    """mmaction2's head smooths the mixup / cutmix soft target: (1 - eps) y + eps / C, which is
    what timm's Mixup(label_smoothing=eps) gives; the soft-target CE is SoftTargetCrossEntropy."""
    from mmaction.structures import ActionDataSample
    head = MODELS.build(dict(type='TimeSformerHead', num_classes=5, in_channels=4,
                             label_smooth_eps=0.1))
    scores = torch.randn(2, 5)
    y1, y2, lam, eps = torch.tensor([0, 3]), torch.tensor([3, 1]), 0.7, 0.1
    mixed = lam * torch.eye(5)[y1] + (1 - lam) * torch.eye(5)[y2]
    samples = [ActionDataSample().set_gt_label(t) for t in mixed]
    loss = head.loss_by_feat(scores, samples)['loss_cls']

    def smooth(y):  # timm.data.mixup.one_hot with off = eps / C, on = 1 - eps + off
        return torch.full((2, 5), eps / 5).scatter_(1, y[:, None], 1 - eps + eps / 5)
    target = lam * smooth(y1) + (1 - lam) * smooth(y2)
    expected = (-target * scores.log_softmax(-1)).sum(-1).mean()
    torch.testing.assert_close(loss, expected)


def _tiny_video_list(tmp_path, n=2):
    import numpy as np

    from mmvideofm.datasets import write_video
    rng = np.random.default_rng(0)
    for i in range(n):
        write_video(str(tmp_path / f'v{i}.mp4'),
                    rng.integers(0, 255, (20, 36, 48, 3), dtype=np.uint8), fps=8)
    (tmp_path / 'list.txt').write_text(''.join(f'v{i}.mp4 {i}\n' for i in range(n)))
    return dict(ann_file=str(tmp_path / 'list.txt'), data_prefix=dict(video=str(tmp_path)))


@pytest.mark.parametrize('name, clips', [
    ('umt-base-p16-res224_k710-pre-ft_u8_k400-rgb.py', 4),  # Kinetics-style, 4 x 3 views
    ('umt-base-p16-res224_k710-pre_u8_ssv2-rgb.py', 2),  # SSv2-style, 2 x 3 views
])
def test_data_pipelines_run_on_real_videos(tmp_path, name, clips):
    """The configs' own train / val / test pipelines, on two tiny mp4s, through the registry."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'umt', name))
    frames = cfg.model.backbone.num_frames
    data = _tiny_video_list(tmp_path)
    for split, views in (('train', 1), ('val', 1), ('test', clips * 3)):
        ds_cfg = cfg[f'{split}_dataloader'].dataset
        ds_cfg.update(data)
        item = DATASETS.build(ds_cfg)[1]
        items = item if split == 'train' else [item]
        assert len(items) == (2 if split == 'train' else 1)  # num_sample 2 repeated aug
        for it in items:
            assert it['inputs'].shape == (views, 3, frames, 224, 224)
            assert it['inputs'].dtype == torch.uint8 and int(it['data_samples'].gt_label) == 1

