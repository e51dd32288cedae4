"""UMT on the synthetic world: image teacher, stage-1 alignment, fine-tuning comparison."""
import pytest
import torch
from mmengine.registry import init_default_scope

import projects.umt  # noqa: F401
from projects.umt.synthetic import (
    ToyConfig,
    finetune_direction,
    frame_context_targets,
    frame_patch_color_targets,
    make_clips,
    p4_config,
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


def test_p4_patch_color_targets():
    """The patch-4 regime: flat background, per-patch colour classes mark the objects."""
    cfg = p4_config()
    assert (cfg.patch, cfg.noise, cfg.ft_iters, cfg.n_train) == (4, 0, 300, 500)
    video, _, clips = make_clips(4, 'train', cfg, task='direction', seed=7)
    targets = frame_patch_color_targets(clips, cfg)
    assert targets.shape == (4, 4, 64) and targets.dtype == torch.long
    # every clip has >= 2 objects, each covering at least one patch centre in frame 0
    assert all(len(set(t[0].tolist()) - {0}) >= 2 for t in targets)
    # flat background: the background pixels of a frame are one colour
    frame = clips[0].frames[0].reshape(-1, 3)
    assert (frame == frame[0]).all(-1).mean() > 0.3


def test_p4_stage1_checkpoint_loads_into_finetune(tmp_path):
    """The p4 fine-tune config's ``load_from`` takes every backbone key of a stage-1 runner
    checkpoint; teacher / clip_decoder are left out, the head stays new."""
    import os.path as osp

    from mmengine.config import Config
    from mmengine.runner.checkpoint import load_checkpoint

    from mmvideofm.registry import MODELS
    cfg_dir = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', 'umt')
    s1 = Config.fromfile(osp.join(cfg_dir, 'umt-tiny-p4_stage1_synthetic-4x32.py'))
    ft = Config.fromfile(osp.join(cfg_dir, 'umt-tiny-p4_ft_synthetic-direction-4x32.py'))
    assert ft.load_from.endswith(f'iter_{s1.train_cfg.max_iters}.pth')
    s1.model.teacher.init_cfg = None
    torch.manual_seed(0)
    umt = MODELS.build(s1.model)
    path = str(tmp_path / 'iter_1500.pth')
    torch.save({'meta': {}, 'state_dict': umt.state_dict()}, path)
    torch.manual_seed(1)
    model = MODELS.build(ft.model)
    load_checkpoint(model, path, map_location='cpu', strict=False)
    src, dst = umt.state_dict(), model.state_dict()
    backbone = [k for k in dst if k.startswith('backbone.')]
    assert backbone and all(torch.equal(dst[k], src[k]) for k in backbone)
    assert not any(k.startswith(('teacher.', 'clip_decoder.')) for k in dst)


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


@pytest.mark.parametrize('target,min_score', [('semantic', 10), ('patch_color', 50)])
def test_teacher_objectives_fit(target, min_score):
    """Every single-frame teacher objective trains and reports its fit on training frames."""
    from projects.umt.synthetic import frame_patch_color_targets, frame_semantic_labels
    cfg = ToyConfig(n_unlabeled=48, teacher_steps=300, width=32, heads=2, teacher_dim=16)
    video, _, clips = make_clips(cfg.n_unlabeled, 'train', cfg, task='direction', seed=7)
    labels = (frame_semantic_labels if target == 'semantic' else frame_patch_color_targets)(
        clips, cfg)
    teacher = train_image_teacher(video, labels, cfg)
    assert not any(p.requires_grad for p in teacher.parameters()) and not teacher.training
    # multi-label F1 / object-patch accuracy (%); an untrained probe scores 0 / ~10
    assert teacher.train_f1 > min_score
