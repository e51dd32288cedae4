"""UMT on the synthetic world: image teacher, stage-1 alignment, fine-tuning comparison."""
import pytest
import torch
from mmengine.registry import init_default_scope

import projects.umt  # noqa: F401
from mmvideofm.datasets.synthetic import SHAPES
from projects.umt.synthetic import (
    ToyConfig,
    finetune_task,
    frame_context_targets,
    frame_patch_color_targets,
    make_clips,
    p4_config,
    pretrain_umt,
    run_experiment,
    semantic_config,
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
    acc = finetune_task(umt.backbone, (x, y), (x[:16], y[:16]),
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


@pytest.mark.parametrize('stage1,finetune', [
    ('umt-tiny-p4_stage1_synthetic-4x32.py', 'umt-tiny-p4_ft_synthetic-direction-4x32.py'),
    ('umt-tiny-p8_stage1_synthetic-semantic-4x32.py',
     'umt-tiny-p8_ft_synthetic-mover-shape-4x32.py')])
def test_stage1_checkpoint_loads_into_finetune(tmp_path, stage1, finetune):
    """A fine-tune config's ``load_from`` takes every backbone key of its stage-1 runner
    checkpoint; teacher / clip_decoder are left out, the head stays new. In the official
    fine-tuning layout (mean pooling) the stage-1 ``norm`` is not loaded and ``fc_norm`` is
    new."""
    import os.path as osp

    from mmengine.config import Config
    from mmengine.runner.checkpoint import load_checkpoint

    from mmvideofm.registry import MODELS
    cfg_dir = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', 'umt')
    s1 = Config.fromfile(osp.join(cfg_dir, stage1))
    ft = Config.fromfile(osp.join(cfg_dir, finetune))
    last = (f'iter_{s1.train_cfg.max_iters}.pth' if 'max_iters' in s1.train_cfg
            else f'epoch_{s1.train_cfg.max_epochs}.pth')
    assert ft.load_from.endswith(last) and osp.splitext(stage1)[0] in ft.load_from
    s1.model.teacher.init_cfg = None
    torch.manual_seed(0)
    umt = MODELS.build(s1.model)
    path = str(tmp_path / last)
    torch.save({'meta': {}, 'state_dict': umt.state_dict()}, path)
    torch.manual_seed(1)
    model = MODELS.build(ft.model)
    load_checkpoint(model, path, map_location='cpu', strict=False)
    src, dst = umt.state_dict(), model.state_dict()
    backbone = [k for k in dst if k.startswith('backbone.') and 'fc_norm' not in k]
    assert backbone and all(torch.equal(dst[k], src[k]) for k in backbone)
    assert not any(k.startswith(('teacher.', 'clip_decoder.')) for k in dst)
    if ft.model.backbone.use_mean_pooling:
        assert 'backbone.norm.weight' not in dst and 'backbone.fc_norm.weight' in dst
    frames, size = ft.num_frames, ft.model.backbone.img_size
    feats = model(torch.randn(2, 1, 3, frames, size, size), mode='tensor')
    scores = model.cls_head(feats)
    assert scores.shape == (2, ft.model.cls_head.num_classes)


def test_umt_beats_scratch_on_mover_shape():
    """The paper's claim on the toy (README, "Synthetic world"; ~3-4 min on one core): an
    image teacher that knows shapes, distilled by UMT stage 1, makes the student fine-tune
    better on 'which shape moves' than scratch at the same budget, and the student uses time
    (it beats the same student fine-tuned on one frame). Measured: 69.0 vs 53.0, one frame
    52.7 (seed 0); 67.0 vs 46.3, one frame 41.3 (seed 1)."""
    torch.set_num_threads(1)
    out = run_experiment(semantic_config())
    assert out['teacher_fit'] > 90, out  # the teacher knows the shapes (patch accuracy, %)
    assert out['align_loss_last_epoch'] < 0.5 * out['align_loss_first_epoch'], out
    assert out['top1_umt'] > out['top1_scratch'] + 8, out
    assert out['top1_umt'] > out['top1_umt_single_frame'] + 8, out


def test_patch_shape_targets_and_cosine_probe():
    """The semantic teacher's targets mark each object's centre patch with its shape; the
    CLIP-style head scores cosines times the logit scale."""
    from projects.umt.synthetic import CosineProbe, frame_patch_shape_targets
    cfg = semantic_config()
    _, _, clips = make_clips(3, 'train', cfg, task='mover_shape', seed=7)
    targets = frame_patch_shape_targets(clips, cfg)
    assert targets.shape == (3, 4, 16) and targets.dtype == torch.long
    for clip, tgt in zip(clips, targets):
        shapes = sorted(1 + SHAPES.index(o.shape) for o in clip.objects)
        assert sorted(set(tgt[0].tolist()) - {0}) == shapes  # distinct shapes, one patch each
    probe = CosineProbe(8, 5, logit_scale=10.)
    logits = probe(torch.randn(6, 8) * 100)
    assert logits.shape == (6, 5) and logits.abs().max() <= 10. + 1e-5


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
    """Stage 2 on synthetic captions through the runner (the config as shipped, ~1.5-3 min on
    one core): retrieval well above chance (100 pairs: chance mean R@{1,5,10} = 5.3), both
    with the official VTM re-ranking and by VTC alone."""
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
    assert metrics['retrieval/mean_R'] > 60, metrics  # VTM re-ranked (measured 72.3)
    assert metrics['retrieval_emb/mean_R'] > 60, metrics  # VTC only (measured 72.0)


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
