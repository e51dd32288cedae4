"""Logit distillation: frozen eval-mode teacher slot, student learns the teacher's logits."""
from pathlib import Path

import torch
from mmaction.structures import ActionDataSample
from mmengine.optim import OptimWrapper

from mmvideofm.registry import MODELS

DATA = Path(__file__).parents[2] / 'data' / 'videomaev2'


def _recognizer(embed_dim, depth, num_heads, drop_path=0.):
    return dict(
        type='Recognizer3D',
        backbone=dict(type='VideoViT', img_size=32, patch_size=16, embed_dim=embed_dim,
                      depth=depth, num_heads=num_heads, num_frames=16,
                      drop_path_rate=drop_path),
        cls_head=dict(type='TimeSformerHead', num_classes=5, in_channels=embed_dim,
                      dropout_ratio=0.5, average_clips='prob'))


def _distiller(tmp_path, **kw):
    # teacher = the official fixture model (as an official bare fine-tuned file)
    sd = torch.load(DATA / 'vmae2_ft_f16_s32__state_dict.pt', weights_only=True)
    ckpt = tmp_path / 'teacher_official.pth'
    torch.save({'module': sd}, ckpt)
    return MODELS.build(dict(
        type='LogitDistiller',
        student=_recognizer(32, 1, 2),
        teacher=_recognizer(48, 2, 4, drop_path=0.5),
        teacher_ckpt=str(ckpt), teacher_converter='videomaev2',
        distill_loss=dict(type='LogitDistillLoss', temperature=2.0),
        data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW'), **kw))


def test_teacher_is_frozen_eval_and_loaded(tmp_path):
    model = _distiller(tmp_path, hard_label_weight=0.5)
    model.init_weights()
    ref = torch.load(DATA / 'vmae2_ft_f16_s32__state_dict.pt', weights_only=True)
    assert torch.equal(model.teacher.cls_head.fc_cls.weight, ref['head.weight'])
    model.train()
    assert model.student.training and not model.teacher.training
    assert not any(m.training for m in model.teacher.modules())
    assert not any(p.requires_grad for p in model.teacher.parameters())

    io = torch.load(DATA / 'vmae2_ft_f16_s32__io.pt', weights_only=True)
    samples = [ActionDataSample().set_gt_label(i) for i in (0, 4)]
    losses = model.loss(io['video'][:, None], samples)
    assert set(losses) >= {'loss_distill', 'loss_cls'}
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert model.student.backbone.blocks[0].attn.qkv.weight.grad is not None
    # the teacher's logits are the official ones even in train mode (eval, no dropout)
    with torch.no_grad():
        logits = model._logits(model.teacher, io['video'][:, None])
    assert torch.allclose(logits, io['logits'], atol=1e-5)


def test_distillation_reduces_kl(tmp_path):
    torch.manual_seed(0)
    model = _distiller(tmp_path)
    model.init_weights()
    wrapper = OptimWrapper(torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=3e-3))
    video = torch.load(DATA / 'vmae2_ft_f16_s32__io.pt', weights_only=True)['video']
    data = dict(inputs=[v[None] for v in video], data_samples=[ActionDataSample()] * 2)
    model.data_preprocessor = MODELS.build(dict(type='ActionDataPreprocessor',
                                                format_shape='NCTHW', mean=None, std=None))
    losses = [model.train_step(data, wrapper)['loss_distill'].item() for _ in range(20)]
    assert losses[-1] < 0.5 * losses[0]
    preds = model.test_step(dict(inputs=[v[None] for v in video],
                                 data_samples=[ActionDataSample() for _ in range(2)]))
    assert preds[0].pred_score.shape == (5, )
