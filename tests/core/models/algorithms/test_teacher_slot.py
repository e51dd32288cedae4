"""The teacher slot through mmengine: eval through train(), no gradient, not in the optimizer
(built from shipped configs' ``optim_wrapper``), not in runner checkpoints unless asked;
resume and the strict key check of tools/test.py with such checkpoints."""
import logging
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import projects.umt  # noqa: F401
from mmvideofm.engine.runner_utils import register_all, verify_checkpoint_keys
from mmvideofm.registry import MODELS

REPO = osp.abspath(osp.join(osp.dirname(__file__), *[osp.pardir] * 4))
STAGE1 = osp.join(REPO, 'configs/umt/umt-tiny-p8_stage1_synthetic-8x32.py')
STAGE1_B16 = osp.join(REPO, 'configs/umt/umt-base-p16_clip-b16_k710-pre_u8-res224.py')


def _stage1_cfg() -> Config:
    cfg = Config.fromfile(STAGE1)
    cfg.model.teacher.init_cfg = None  # no trained teacher file in the tests
    return cfg


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.mark.parametrize('optim_cfg', [STAGE1, STAGE1_B16], ids=['plain', 'paramwise'])
def test_teacher_eval_no_grad_not_in_optimizer(optim_cfg):
    init_default_scope('mmvideofm')
    cfg = _stage1_cfg()
    model = MODELS.build(cfg.model)
    optim_wrapper = Config.fromfile(optim_cfg).optim_wrapper.to_dict()
    optim_wrapper.update(type='OptimWrapper')  # the B/16 one is bf16 AMP (CUDA)
    optim_wrapper.pop('dtype', None)
    logger = MMLogger.get_current_instance()
    records = _Records()
    logger.addHandler(records)
    try:
        wrapper = build_optim_wrapper(model, optim_wrapper)
    finally:
        logger.removeHandler(records)
    assert not any('requires_grad' in m for m in records.messages), records.messages[:3]
    assert any('frozen parameters left out of the optimizer (teacher.*: 56)' in m
               for m in records.messages)
    in_optimizer = {id(p) for g in wrapper.optimizer.param_groups for p in g['params']}
    teacher = list(model.teacher.parameters())
    assert len(teacher) == 56 and not any(id(p) in in_optimizer for p in teacher)
    assert all(id(p) in in_optimizer for p in model.parameters() if p.requires_grad)

    model.train()
    assert model.backbone.training and model.clip_decoder.training
    assert not any(m.training for m in model.teacher.modules())
    data = dict(inputs=[torch.randint(0, 255, (1, 3, 8, 32, 32)).float() for _ in range(2)],
                data_samples=None)
    before = [p.detach().clone() for p in teacher]
    losses = model.train_step(data, wrapper)
    assert torch.isfinite(losses['loss_align'])
    assert not any(m.training for m in model.teacher.modules())
    assert all(p.grad is None for p in teacher)
    assert all(torch.equal(a, b) for a, b in zip(before, teacher))
    state = wrapper.optimizer.state
    assert len(state) > 0 and not any(id(p) in {id(q) for q in state} for p in teacher)
    assert model.clip_decoder[0].head.weight in state


def _run(tmp_path, name: str, teacher_file: str, max_epochs: int = 1, **overrides) -> Runner:
    cfg = _stage1_cfg()
    cfg.model.teacher.init_cfg = dict(type='Pretrained', checkpoint=teacher_file)
    cfg.train_dataloader.dataset.num_samples = 4
    cfg.train_dataloader.batch_size = 2
    cfg.train_cfg.max_epochs = max_epochs
    cfg.param_scheduler[0].update(T_max=max_epochs, end=max_epochs)
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.checkpoint.max_keep_ckpts = 3
    cfg.custom_hooks = []
    cfg.work_dir = str(tmp_path / name)
    cfg.experiment_name = f'{name}_{max_epochs}_{tmp_path.name}'  # its own log file
    cfg.merge_from_dict(overrides)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def _state(path):
    return torch.load(path, map_location='cpu', weights_only=False)['state_dict']


def test_runner_checkpoints_leave_the_teacher_out_unless_asked_and_resume(tmp_path):
    register_all()  # as tools/train.py (mmaction2's visualizer, ...)
    init_default_scope('mmvideofm')
    teacher = MODELS.build(dict(_stage1_cfg().model.teacher))
    teacher_file = str(tmp_path / 'teacher.pth')
    torch.save(teacher.state_dict(), teacher_file)

    _run(tmp_path, 'default', teacher_file)
    ckpt = str(tmp_path / 'default' / 'epoch_1.pth')
    saved = _state(ckpt)
    assert 'clip_decoder.0.head.weight' in saved and 'backbone.norm.weight' in saved
    assert not any(k.startswith('teacher.') for k in saved)

    _run(tmp_path, 'with_teacher', teacher_file, **{'model.save_teacher': True})
    ckpt_t = str(tmp_path / 'with_teacher' / 'epoch_1.pth')
    saved_t = _state(ckpt_t)
    assert {k for k in saved_t if k.startswith('teacher.')} == {
        'teacher.' + k for k in teacher.state_dict()}
    torch.testing.assert_close(saved_t['teacher.proj'], teacher.proj)

    # resume: the student comes from the checkpoint, the teacher from its init_cfg, quietly
    runner = _run(tmp_path, 'default', teacher_file, max_epochs=2,
                  **{'resume': True, 'load_from': ckpt})
    assert runner.epoch == 2
    log = open(osp.join(runner.log_dir, f'{runner.timestamp}.log')).read()
    assert 'resumed epoch: 1' in log
    assert 'do not match exactly' not in log and 'missing keys' not in log
    for k, v in teacher.state_dict().items():
        torch.testing.assert_close(runner.model.teacher.state_dict()[k], v)

    # tools/test.py's strict key check accepts both checkpoints for either model setting
    for model_cfg in (dict(), dict(save_teacher=True)):
        model = MODELS.build(dict(_stage1_cfg().model, **model_cfg))
        for path in (ckpt, ckpt_t):
            verify_checkpoint_keys(model, path)
