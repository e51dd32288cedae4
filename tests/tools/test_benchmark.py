"""tools/benchmark.py: plugin discovery, interleaved side-by-side timing, equality checks
(#10.15). The "official" modules here are stand-ins written for the test, not official code."""
import importlib.util
import os.path as osp
import textwrap

import pytest

from mmvideofm.engine.benchmark import speedup, time_interleaved

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('benchmark_tool',
                                                  osp.join(REPO, 'tools', 'benchmark.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_time_interleaved_alternates_and_reports_spread():
    calls = []
    stats = time_interleaved({'a': lambda: calls.append('a'), 'b': lambda: calls.append('b')},
                             iters=4, warmup=1)
    assert calls == ['a', 'b'] + ['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']
    for st in stats.values():
        assert len(st['seconds']) == 4 and st['min'] <= st['median'] <= st['max']
    fake = {'official': dict(median=8.0, min=7.0, max=9.0),
            'ours': dict(median=2.0, min=1.0, max=4.0)}
    assert speedup(fake) == dict(median=4.0, low=7.0 / 4.0, high=9.0)


def test_list_and_suggest_every_plugin(tool, capsys):
    names = tool.main(['list'])
    assert {'point_nn/features', 'umt/forward', 'videomaev2/forward'} <= set(names)
    with pytest.raises(SystemExit, match=r"did you mean \['point_nn/features'"):
        tool.main(['point_nn/feature'])


# a stand-in with the official interface: imports pointnet2_ops and a sibling module, calls
# .cuda() on CPU tensors, takes (B, 3, N); its features come from our reference function
STANDIN_POINT_NN = '''
import torch
from torch import nn
from pointnet2_ops import pointnet2_utils

from .model_utils import *  # noqa


class Point_NN(nn.Module):
    def __init__(self, input_points=1024, num_stages=4, embed_dim=72, k_neighbors=90,
                 beta=1000, alpha=100):
        super().__init__()
        self.args = (num_stages, embed_dim, k_neighbors, alpha, beta)

    def forward(self, x):
        xyz = x.permute(0, 2, 1)
        torch.arange(3).float().cuda()
        idx = pointnet2_utils.furthest_point_sample(xyz.contiguous(), 4)
        assert idx.dtype == torch.int32 and idx.shape == (x.shape[0], 4)
        from projects.point_nn.benchmarks import naive_point_nn_features
        return naive_point_nn_features(xyz, *self.args) * SCALE
'''


def _standin_point_nn(root, scale):
    models = root / 'models'
    models.mkdir(parents=True)
    (models / '__init__.py').write_text('raise ImportError("the package __init__ must not run")')
    (models / 'model_utils.py').write_text(f'SCALE = {scale!r}\n')
    (models / 'point_nn.py').write_text(STANDIN_POINT_NN)
    return str(root)


POINT_ARGS = ['--batch-size', '2', '--points', '128', '--k', '8', '--iters', '3',
              '--num-clouds', '5']


def test_point_nn_side_by_side(tool, tmp_path):
    import torch
    cuda = torch.Tensor.cuda
    out = tool.main(['point_nn/features', '--official-root',
                     _standin_point_nn(tmp_path / 'ok', 1.0)] + POINT_ARGS)
    assert out['threads'] == 1 and out['features_max_abs_diff'] < 1e-4
    for side in ('ours', 'official'):
        assert len(out[side]['seconds_per_batch']) == 3
        assert out[side]['min'] <= out[side]['median'] <= out[side]['max']
    assert out['speedup_vs_official']['low'] <= out['speedup_vs_official']['median'] \
        <= out['speedup_vs_official']['high']
    assert 'official_anchor' not in out and 'naive_seconds_per_batch' not in out
    assert torch.Tensor.cuda is cuda  # patched only while the official model runs
    with pytest.raises(RuntimeError, match='features of ours and the official'):
        tool.main(['point_nn/features', '--official-root',
                   _standin_point_nn(tmp_path / 'bad', 1.01)] + POINT_ARGS)


STANDIN_VIT = '''
from mmvideofm.models.backbones import VideoViT


class VisionTransformer(VideoViT):
    def __init__(self, img_size, patch_size, embed_dim, depth, num_heads, mlp_ratio, qkv_bias,
                 norm_layer, all_frames, tubelet_size, num_classes, use_mean_pooling):
        super().__init__(arch=dict(patch_size=patch_size, embed_dim=embed_dim, depth=depth,
                                   num_heads=num_heads, mlp_ratio=mlp_ratio),
                         img_size=img_size, num_frames=all_frames, tubelet_size=tubelet_size,
                         num_classes=num_classes)

    def forward_features(self, x):  # the official one returns the pooled fc_norm output
        return self.forward_head(VideoViT.forward_features(self, x), pre_logits=True) * SCALE

    def forward(self, x):
        return self.head(self.forward_features(x))
'''


@pytest.mark.parametrize('name,subdir', [('videomaev2/forward', 'models'),
                                         ('umt/forward', 'single_modality/models')])
def test_vit_forward_side_by_side_checks_features(tool, tmp_path, name, subdir):
    args = ['--arch', 's', '--frames', '2', '--img-size', '32', '--batch-size', '1',
            '--iters', '2', '--warmup', '0', '--device', 'cpu']
    for scale, root in ((1.0, tmp_path / 'ok'), (1.01, tmp_path / 'bad')):
        (root / subdir).mkdir(parents=True)
        (root / subdir / 'modeling_finetune.py').write_text(
            f'SCALE = {scale!r}\n' + textwrap.dedent(STANDIN_VIT))
    out = tool.main([name, '--official-root', str(tmp_path / 'ok')] + args)
    assert out['features_max_abs_diff'] < 1e-5
    for side in ('ours', 'official'):
        assert len(out[side]['seconds']) == 2 and out[side]['clips_per_s'] > 0
        assert out[side]['min'] <= out[side]['median'] <= out[side]['max']
    assert set(out['speedup_vs_official']) == {'median', 'low', 'high'}
    # 1% off in the features: logits of a 0.001-scaled head would hide it, the check does not
    with pytest.raises(RuntimeError, match='pooled features'):
        tool.main([name, '--official-root', str(tmp_path / 'bad')] + args)
