"""LogitDistiller on the base: teacher from a checkpoint (by converter name or as is), frozen,
left out of the state dict and of the (layer-decay) optimizer; student-only predict / tensor."""
import os.path as osp

import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from mmvideofm.checkpoint import StateDictMismatchError
from mmvideofm.registry import MODELS

init_default_scope('mmvideofm')


def _recognizer(embed_dim):
    return dict(type='Recognizer3D',
                backbone=dict(type='VideoViT', img_size=16, patch_size=8, embed_dim=embed_dim,
                              depth=1, num_heads=2, num_frames=4),
                cls_head=dict(type='TimeSformerHead', num_classes=3, in_channels=embed_dim,
                              average_clips='prob'))


def _distiller(**kw):
    return MODELS.build(dict(type='LogitDistiller', student=_recognizer(16),
                             teacher=_recognizer(32), hard_label_weight=0.5,
                             data_preprocessor=dict(type='ActionDataPreprocessor',
                                                    format_shape='NCTHW'), **kw))


def test_teacher_loaded_from_an_mmvideofm_checkpoint_frozen_and_not_saved(tmp_path):
    source = MODELS.build(_recognizer(32))
    ckpt = tmp_path / 'teacher.pth'
    torch.save({'state_dict': source.state_dict()}, ckpt)
    model = _distiller(teacher_ckpt=str(ckpt))
    model.init_weights()
    for k, v in source.state_dict().items():
        torch.testing.assert_close(model.teacher.state_dict()[k], v)
    assert not any(p.requires_grad for p in model.teacher.parameters())
    assert not any(k.startswith('teacher.') for k in model.state_dict())
    video = torch.randn(2, 1, 3, 4, 16, 16)
    samples = [ActionDataSample().set_gt_label(i) for i in (0, 2)]
    losses = model.train().loss(video, samples)
    assert {'loss_distill', 'loss_cls'} <= set(losses) and not model.teacher.training
    assert model(video, mode='tensor').shape == (2, 3)
    preds = model.eval().test_step(dict(inputs=list(video), data_samples=samples))
    assert preds[0].pred_score.shape == (3, )  # the student's prediction


def test_wrong_teacher_file_or_converter_name_is_a_clear_error(tmp_path):
    ckpt = tmp_path / 'student_shaped.pth'
    torch.save(MODELS.build(_recognizer(16)).state_dict(), ckpt)
    model = _distiller(teacher_ckpt=str(ckpt))
    with pytest.raises(StateDictMismatchError, match='shape mismatches'):
        model.init_weights()
    with pytest.raises(KeyError, match='no checkpoint converter named .*no_such_plugin'):
        _distiller(teacher_ckpt=str(ckpt), teacher_converter='no_such_plugin')


def test_shipped_distill_optim_wrapper_decays_the_student_only():
    """The distill config's layer-decay optimizer finds ``student.backbone`` (the model has no
    ``backbone``) and leaves the frozen teacher out."""
    repo = osp.abspath(osp.join(osp.dirname(__file__), *[osp.pardir] * 4))
    cfg = Config.fromfile(osp.join(
        repo, 'configs/videomaev2/vit-base-p16_videomaev2-vit-g-dist_k710-distill_16x4x1-'
              'res224.py')).optim_wrapper.to_dict()
    assert cfg['constructor'] == 'LayerDecayOptimWrapperConstructor'
    cfg.update(type='OptimWrapper')  # bf16 AMP needs CUDA
    cfg.pop('dtype', None)
    model = _distiller()
    groups = build_optim_wrapper(model, cfg).optimizer.param_groups
    params = {id(p) for g in groups for p in g['params']}
    assert params == {id(p) for p in model.student.parameters()}
    rate = cfg['paramwise_cfg']['layer_decay_rate']
    scales = {g['group_name']: g['lr_scale'] for g in groups}
    # depth 1: patch embed = layer 0, the block = layer 1, head = layer 2 (scale 1)
    assert scales['layer_0_decay'] == pytest.approx(rate ** 2)
    assert scales['layer_2_decay'] == 1.
