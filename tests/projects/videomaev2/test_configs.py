"""Every videomaev2 config loads, passes the config checker, and builds (shrunk to a tiny
ViT); the published hyperparameters are what the official scripts use."""
import os
import socket
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmvideofm.engine.config_check import check_config
from mmvideofm.registry import MODELS

CFG_DIR = Path(__file__).parents[3] / 'configs' / 'videomaev2'
CONFIGS = sorted(p.name for p in CFG_DIR.glob('*.py'))
TINY = dict(patch_size=14, embed_dim=32, depth=2, num_heads=2, mlp_ratio=48 / 11)


def _shrink(model_cfg):
    """Tiny widths, same structure (every VideoViT inside, decoder widths, heads)."""
    def walk(obj):
        if isinstance(obj, dict):
            if obj.get('type') == 'VideoViT':
                obj.update(arch=dict(TINY), img_size=28, num_frames=4)
                obj.pop('init_cfg', None)
            if obj.get('type') == 'VideoMAEv2Decoder':
                obj.update(embed_dim=16, num_heads=2)
            if obj.get('type') in ('TimeSformerHead', 'I3DHead'):
                obj.update(in_channels=32)
            for v in obj.values():
                walk(v)
    walk(model_cfg)
    model_cfg.pop('teacher_ckpt', None)
    return model_cfg


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds(name):
    cfg = Config.fromfile(str(CFG_DIR / name))
    check_config(cfg)
    model = MODELS.build(_shrink(cfg.model.to_dict()))
    assert sum(p.numel() for p in model.parameters()) > 0


def _get(name):
    return Config.fromfile(str(CFG_DIR / name))


def test_published_hyperparameters():
    pt = _get('videomaev2_vit-giant-p14_dual-mask-pt-1200e_hybrid-16x4-res224.py')
    assert (pt.model.mask_type, pt.model.mask_ratio) == ('tube', 0.9)
    assert (pt.model.decoder_mask_type, pt.model.decoder_mask_ratio) == ('run_cell', 0.5)
    assert pt.model.decoder.depth == 4 and pt.model.decoder.embed_dim == 512
    assert pt.model.backbone.with_cp and pt.model.decoder.with_cp
    assert pt.optim_wrapper.optimizer.lr == pytest.approx(6e-4 * 32 * 64 / 256)
    assert pt.optim_wrapper.optimizer.betas == (0.9, 0.95)
    assert pt.optim_wrapper.clip_grad.max_norm == 0.02 and pt.train_cfg.max_epochs == 300
    k710 = _get('vit-giant-p14_videomaev2-pt_k710-ft_16x4x5-res224.py')
    assert k710.model.backbone.drop_path_rate == 0.3
    assert k710.optim_wrapper.paramwise_cfg.layer_decay_rate == 0.9
    assert k710.optim_wrapper.optimizer.weight_decay == 0.1
    assert k710.train_cfg.max_epochs == 35 and k710.model.cls_head.num_classes == 710
    k400 = _get('vit-giant-p14_videomaev2-pt-k710-ft_k400-ft_16x4x5-res224.py')
    assert k400.optim_wrapper.optimizer.lr == pytest.approx(1e-5 * 3 * 32 / 256)
    assert k400.model.backbone.drop_path_rate == 0.25 and k400.train_cfg.max_epochs == 3
    assert k400.model.cls_head.num_classes == 400
    ssv2 = _get('vit-giant-p14_videomaev2-pt_ssv2-ft_16x2x3-res224.py')
    assert ssv2.optim_wrapper.optimizer.lr == pytest.approx(3e-4 * 3 * 32 / 256)
    assert ssv2.train_cfg.max_epochs == 20 and ssv2.model.cls_head.num_classes == 174
    # multi-view testing: 5 clips x 3 crops (K400), 2 x 3 (SSv2), probabilities averaged
    for cfg, clips in ((k400, 5), (ssv2, 2)):
        sampler = cfg.test_dataloader.dataset.pipeline[1]
        assert sampler.num_clips == clips and sampler.test_mode
        assert any(t.type == 'ThreeCrop' for t in cfg.test_dataloader.dataset.pipeline)
        assert cfg.model.cls_head.average_clips == 'prob'
    dist = _get('vit-base-p16_videomaev2-vit-g-dist_k710-distill_16x4x1-res224.py')
    assert dist.model.type == 'LogitDistiller' and dist.model.teacher.backbone.arch == 'g'


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_giant_fsdp_strategy_builds_on_cpu():
    """The ViT-g FSDP config: a tiny variant wrapped by MMEngine's FSDPStrategy on a 1-process
    gloo group (CPU), one block = one FSDP unit, and one optimizer step. The real run:
    ``torchrun --nproc_per_node 8 tools/train.py <fsdp config> --launcher pytorch``."""
    import torch.distributed as dist
    from mmengine._strategy import FSDPStrategy
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    cfg = _get('videomaev2_vit-giant-p14_dual-mask-pt-1200e_hybrid-16x4-res224_fsdp.py')
    assert cfg.runner_type == 'FlexibleRunner' and cfg.strategy.type == 'FSDPStrategy'
    check_config(cfg)
    env = dict(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(_free_port()), RANK='0',
               WORLD_SIZE='1', LOCAL_RANK='0')
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    dist.init_process_group('gloo', rank=0, world_size=1)
    try:
        strategy_cfg = cfg.strategy.to_dict()
        strategy_cfg.pop('type')
        strategy_cfg['model_wrapper']['device_id'] = torch.device('cpu')
        strategy = FSDPStrategy(**strategy_cfg)
        model = MODELS.build(_shrink(cfg.model.to_dict()))
        wrapped, optim_wrapper = strategy.prepare(model, optim_wrapper=cfg.optim_wrapper)
        units = [m for m in wrapped.modules() if isinstance(m, FSDP)]
        assert len(units) == 1 + 2 + 4  # root + encoder blocks + decoder blocks
        data = dict(inputs=[torch.randint(0, 255, (1, 3, 4, 28, 28), dtype=torch.uint8)
                            for _ in range(2)], data_samples=None)
        losses = wrapped.train_step(data, optim_wrapper)
        assert torch.isfinite(losses['loss_pix'])
    finally:
        dist.destroy_process_group()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.mark.parametrize('name, views, repeats', [
    ('vit-giant-p14_videomaev2-pt_k710-ft_16x4x5-res224.py', 5 * 3, 2),  # dense 16 x 4
    ('vit-base-p16_videomaev2-pt_ssv2-ft_16x2x3-res224.py', 2 * 3, 2),  # 16 segments
    ('videomaev2_vit-base-p16_dual-mask-pt-800e_hybrid-16x4-res224.py', None, 4),
])
def test_data_pipelines_run_on_real_videos(tmp_path, name, views, repeats):
    """Each split's pipeline (mmvideofm's VideoInit / VideoDecode + mmaction2's samplers and
    augmentation, RandAugment included) on two tiny mp4s, built through the registry."""
    import numpy as np

    from mmvideofm.datasets import write_video
    from mmvideofm.registry import DATASETS
    rng = np.random.default_rng(0)
    for i in range(2):
        write_video(str(tmp_path / f'v{i}.mp4'),
                    rng.integers(0, 255, (24, 36, 48, 3), dtype=np.uint8), fps=8)
    (tmp_path / 'list.txt').write_text('v0.mp4 0\nv1.mp4 1\n')
    cfg = _get(name)
    frames = cfg.model.backbone.num_frames
    for split in ('train', 'val', 'test') if views else ('train',):
        ds_cfg = cfg[f'{split}_dataloader'].dataset
        ds_cfg.update(ann_file=str(tmp_path / 'list.txt'), data_prefix=dict(video=str(tmp_path)))
        item = DATASETS.build(ds_cfg)[1]
        items = item if split == 'train' else [item]
        assert len(items) == (repeats if split == 'train' else 1)
        n = {'train': 1, 'val': 1, 'test': views}[split]
        assert all(it['inputs'].shape == (n, 3, frames, 224, 224) for it in items)
