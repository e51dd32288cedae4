"""UMT on the synthetic world: image teacher, stage-1 alignment, fine-tuning comparison."""
import pytest
import torch
from mmengine.registry import init_default_scope

import projects.umt  # noqa: F401
from projects.umt.synthetic import (
    ToyConfig,
    finetune_direction,
    frame_context_targets,
    make_clips,
    pretrain_umt,
    run_experiment,
    train_image_teacher,
)

init_default_scope('mmvideofm')


def test_teacher_and_stage1_learn():
    """The frame teacher fits its contextual targets and stage 1 aligns the student to it."""
    cfg = ToyConfig(n_unlabeled=48, teacher_steps=40, pretrain_epochs=3, batch_size=16,
                    depth=2, align_layers=2, width=32, heads=2, teacher_dim=16)
    video, _, clips = make_clips(cfg.n_unlabeled, 'train', cfg, task='direction', seed=7)
    assert video.shape == (48, 3, 4, 32, 32)
    targets = frame_context_targets(clips, cfg)
    assert targets.shape == (48, 4, 16, 24)
    teacher = train_image_teacher(video, targets, cfg)
    assert teacher.train_f1 > 5  # R^2 (%) of the dense probe on training frames (~80 at full size)
    umt = pretrain_umt(video, teacher, cfg)
    first, last = umt.loss_history[0], umt.loss_history[-1]
    assert last < 0.7 * first, umt.loss_history
    x, y, _ = make_clips(32, 'train', cfg, seed=0)
    acc = finetune_direction(umt.backbone, (x, y), (x[:16], y[:16]),
                             ToyConfig(finetune_epochs=1, batch_size=16))
    assert 0. <= acc <= 100.


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason='not reproduced on the CPU toy (README, "Synthetic '
                   'world"): the UMT student fine-tunes worse than scratch at this budget')
def test_umt_beats_scratch_on_direction():
    torch.set_num_threads(1)
    out = run_experiment(ToyConfig())
    assert out['top1_scratch'] > out['chance'] + 10
    assert out['top1_umt'] > out['top1_scratch']


@pytest.mark.slow
def test_stage2_synthetic_retrieval(tmp_path):
    """Stage 2 on synthetic captions through the runner (the config as shipped, ~2.5 min on
    one core): retrieval well above chance (100 pairs: chance mean R@{1,5,10} = 5.3;
    measured 54.3)."""
    import os.path as osp

    from mmengine.runner import Runner

    from mmvideofm.engine.runner_utils import load_config
    repo = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
    cfg = load_config(osp.join(repo, 'configs', 'umt', 'umt-tiny-p8_stage2_synthetic-8x32.py'),
                      work_dir=str(tmp_path))
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100)
    cfg.custom_hooks = []
    cfg.visualizer.vis_backends = []
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.val_loop.run()
    assert metrics['retrieval/mean_R'] > 30, metrics
