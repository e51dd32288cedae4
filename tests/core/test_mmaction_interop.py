"""mmvideofm backbones inside plain mmaction2 configs, exactly as the README shows."""
import torch
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmvideofm.engine.runner_utils import register_all

register_all()

README_SNIPPET = """
custom_imports = dict(imports=['mmvideofm.models'], allow_failed_imports=False)
model = dict(
    type='Recognizer3D',
    backbone=dict(type='mmvideofm.VideoViT', arch='s', img_size=32, num_frames=4, depth=1),
    cls_head=dict(type='TimeSformerHead', num_classes=5, in_channels=384, average_clips='prob'),
    data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW',
                           mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]))
"""


def test_scoped_mmvideofm_type_in_mmaction_config(tmp_path):
    path = tmp_path / 'cfg.py'
    path.write_text(README_SNIPPET)
    cfg = Config.fromfile(str(path))
    from mmaction.registry import MODELS as MMACTION_MODELS
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MMACTION_MODELS.build(cfg.model)
    assert type(model.backbone).__name__ == 'VideoViT'
    inputs = torch.randint(0, 255, (2, 1, 3, 4, 32, 32)).float()
    samples = [ActionDataSample().set_gt_label(i) for i in range(2)]
    data = model.data_preprocessor(dict(inputs=list(inputs), data_samples=samples), training=True)
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss_cls'])
    losses['loss_cls'].backward()
    assert model.backbone.patch_embed.proj.weight.grad is not None
    preds = model(**model.data_preprocessor(dict(inputs=list(inputs), data_samples=samples)),
                  mode='predict')
    assert preds[0].pred_score.shape == (5,)
    torch.testing.assert_close(preds[0].pred_score.sum(), torch.tensor(1.0))


def test_mmaction_types_inside_mmvideofm_scope():
    from mmvideofm.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmvideofm'):
        head = MODELS.build(dict(type='TimeSformerHead', num_classes=3, in_channels=8))
        pre = MODELS.build(dict(type='mmaction.ActionDataPreprocessor', format_shape='NCTHW'))
    assert type(head).__name__ == 'TimeSformerHead'
    assert type(pre).__name__ == 'ActionDataPreprocessor'
