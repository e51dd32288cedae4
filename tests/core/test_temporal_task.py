"""The main job's task needs time: a video model learns it, a single-frame model cannot.

Both variants train the demo config's model (configs/videovit/...direction...) with the same
budget on the on-the-fly synthetic world; the single-frame one sees the middle frame
repeated over time, so it has all the appearance information but no motion.
"""
import os.path as osp

import pytest
from mmcv.transforms import BaseTransform
from mmengine.config import Config
from mmengine.runner import Runner

from mmvideofm.engine.runner_utils import register_all
from mmvideofm.registry import TRANSFORMS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs', 'videovit',
                'videovit-tiny-p8_scratch_synthetic-direction-16x32.py')
CHANCE = 1 / 9

register_all()


@TRANSFORMS.register_module(force=True)
class RepeatMiddleFrame(BaseTransform):
    """Replace a clip by its middle frame repeated ``len(imgs)`` times."""

    def transform(self, results):
        imgs = results['imgs']
        results['imgs'] = [imgs[len(imgs) // 2]] * len(imgs)
        return results


# A smaller sibling of the demo model on 8x16x16 clips, for the default (fast) suite.
SMALL = dict(frames=8, size=16, backbone=dict(img_size=16, patch_size=4, num_frames=8,
                                              embed_dim=64, depth=2, num_heads=4))


def _train(tmp_path, single_frame, epochs, num_train, num_val=200, batch_size=None,
           frames=16, size=32, backbone=None):
    cfg = Config.fromfile(DEMO)
    if backbone:
        cfg.model.backbone.update(backbone)
        cfg.model.cls_head.in_channels = backbone['embed_dim']
    pipeline = ([dict(type='RepeatMiddleFrame')] if single_frame else []) + [
        dict(type='FormatShape', input_format='NCTHW'), dict(type='PackActionInputs')]

    def data(split, n):
        return dict(type='SyntheticVideoDataset', num_samples=n, seed=0, task='direction',
                    num_frames=frames, size=size, split=split, pipeline=pipeline,
                    test_mode=split != 'train')

    for key, split, n in (('train_dataloader', 'train', num_train),
                          ('val_dataloader', 'val', num_val)):
        cfg[key].dataset = data(split, n)
        cfg[key].num_workers = 0
        cfg[key].batch_size = batch_size or cfg[key].batch_size
        cfg[key].persistent_workers = False
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    cfg.param_scheduler[1].T_max = epochs - 2
    cfg.param_scheduler[1].end = epochs
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=epochs)
    cfg.default_hooks.logger.interval = 50
    cfg.custom_hooks = []
    cfg.work_dir = str(tmp_path / ('single' if single_frame else 'video'))
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.val_loop.run()['acc/top1']


def test_single_frame_stays_near_chance_where_video_learns(tmp_path):
    video = _train(tmp_path, False, epochs=12, num_train=640, batch_size=16, **SMALL)
    single = _train(tmp_path, True, epochs=12, num_train=640, batch_size=16, **SMALL)
    print(f'video top1 {video:.3f}, single-frame top1 {single:.3f}, chance {CHANCE:.3f}')
    assert single < CHANCE + 0.12, single
    assert video > 0.25 and video > single + 0.15, (video, single)


@pytest.mark.slow
def test_demo_budget_reaches_80_percent_and_single_frame_does_not(tmp_path):
    video = _train(tmp_path, single_frame=False, epochs=20, num_train=1600)
    single = _train(tmp_path, single_frame=True, epochs=20, num_train=1600)
    print(f'video top1 {video:.3f}, single-frame top1 {single:.3f}')
    assert video >= 0.80
    assert single < CHANCE + 0.12
