"""Our VideoViT inside mmaction2's Recognizer3D with mmaction2 heads, multi-view testing."""
import pytest
import torch
from mmaction.structures import ActionDataSample

from mmvideofm.registry import MODELS


def _recognizer(head: str, average_clips: str = 'prob'):
    out_type = 'featmap' if head == 'I3DHead' else 'avg_featmap'
    return MODELS.build(dict(
        type='Recognizer3D',
        backbone=dict(type='VideoViT', img_size=32, patch_size=16, embed_dim=48, depth=2,
                      num_heads=4, num_frames=8, out_type=out_type),
        cls_head=dict(type=head, num_classes=5, in_channels=48, average_clips=average_clips),
        data_preprocessor=dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], format_shape='NCTHW'),
        test_cfg=None))


@pytest.mark.parametrize('head', ['TimeSformerHead', 'I3DHead'])
def test_train_and_multiview_test(head):
    torch.manual_seed(0)
    model = _recognizer(head)
    # training: (N=2, 1 view, C, T, H, W)
    data = dict(inputs=[torch.randint(0, 255, (1, 3, 8, 32, 32), dtype=torch.uint8)
                        for _ in range(2)],
                data_samples=[ActionDataSample().set_gt_label(i) for i in (1, 3)])
    from mmengine.optim import OptimWrapper
    losses = model.train_step(data, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
    assert 'loss_cls' in losses

    # testing: 2 videos x (2 clips x 3 crops = 6 views), averaged as probabilities
    model.eval()
    views = [torch.randint(0, 255, (6, 3, 8, 32, 32), dtype=torch.uint8) for _ in range(2)]
    data = dict(inputs=views, data_samples=[ActionDataSample() for _ in range(2)])
    preds = model.test_step(data)
    assert len(preds) == 2
    with torch.no_grad():
        x = model.data_preprocessor(data, False)['inputs']  # (2, 6, C, T, H, W)
        feats, _ = model.extract_feat(x)
        probs = model.cls_head(feats).softmax(-1).view(2, 6, 5).mean(1)
    got = torch.stack([p.pred_score for p in preds])
    assert torch.allclose(got, probs, atol=1e-6)
