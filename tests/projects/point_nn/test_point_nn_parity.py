"""Every shared Point-NN / Point-PN fixture reproduced (official code outputs, fp32).

Tolerance: rtol=1e-5, atol=1e-5 (fixture README); indices exact, kNN as sets, seg FPS
through coordinates (duplicated points make exact ties).
"""
import json
import os

import pytest
import torch

from mmvideofm.checkpoint import get_converter, load_state_dict_checked
from mmvideofm.registry import MODELS
from projects.point_nn.models import (
    MemoryBankHead,
    PointNNEncoder,
    PointNNSegDecoder,
    PointPNClassifier,
    search_gamma,
)

from .conftest import DATA, close, load_fixture

RUN_ARGS = dict(input_points=1024, num_stages=4, embed_dim=72, k_neighbors=90, alpha=1000,
                beta=100)


@pytest.fixture(scope='module')
def cls_fixture():
    return load_fixture('nn_cls.pt')


@pytest.fixture(scope='module')
def b16_run(cls_fixture):
    torch.set_num_threads(1)
    rec = []
    with torch.no_grad():
        g = PointNNEncoder(**RUN_ARGS)(cls_fixture['xyz'], rec)
    return g, rec


def test_run_args_recorded(cls_fixture):
    assert cls_fixture['args_points_stages_dim_k_alpha_beta'].tolist() == [1024, 4, 72, 90,
                                                                           1000, 100]


def test_nn_cls_b16_global_and_stages(cls_fixture, b16_run):
    g, rec = b16_run
    assert g.shape == (16, 1152)
    assert close(g, cls_fixture['global_feature'])
    assert close(rec[0]['raw_embed'][0], cls_fixture['raw_embed_c0'])
    for s in range(1, 5):
        r = rec[s]
        assert torch.equal(r['fps_idx'], cls_fixture[f'fps_idx_s{s}'].long())
        assert close(r['std_x_xyz'], cls_fixture[f'std_x_xyz_s{s}'])
        assert close(r['lc_xyz'][0], cls_fixture[f'lc_xyz_s{s}_c0'])
        assert torch.equal(r['knn_idx'][0].sort(-1)[0], cls_fixture[f'knn_idx_s{s}_c0'].long())
        assert close(r['pooled'][0], cls_fixture[f'pooled_s{s}_c0'])



def test_nn_cls_b4_batch_dependence(cls_fixture, b16_run):
    rec = []
    with torch.no_grad():
        g4 = PointNNEncoder(**RUN_ARGS)(cls_fixture['xyz'][:4], rec)
    assert close(g4, cls_fixture['b4_global_feature'])
    for s in range(1, 5):
        assert close(rec[s]['std_x_xyz'], cls_fixture[f'b4_std_x_xyz_s{s}'])
    # same clouds, other batch: features differ (official batch-global std)
    assert (g4 - b16_run[0][:4]).abs().max() > 0.1


def test_nn_cls_fps_near_origin_skip():
    d = load_fixture('nn_cls_fps_skip.pt')
    enc = PointNNEncoder(**RUN_ARGS)
    rec = []
    with torch.no_grad():
        g = enc(d['xyz'], rec)
    assert close(g, d['global_feature'])
    for s in range(1, 5):
        assert torch.equal(rec[s]['fps_idx'], d[f'fps_idx_s{s}'].long())
    plain = PointNNEncoder(**RUN_ARGS, fps_cfg=dict(skip_near_origin=False, tie_break='first'))
    rec = []
    with torch.no_grad():
        g_plain = plain(d['xyz'], rec)
    assert torch.equal(rec[1]['fps_idx'], d['fps_idx_s1_plain_noskip'].long())
    assert close(g_plain, d['global_feature_if_plain_fps'])


def test_nn_membank_logits_and_gamma_search():
    d = load_fixture('nn_membank.pt')
    enc = PointNNEncoder(**RUN_ARGS)
    bs = int(d['batch_size'])
    with torch.no_grad():
        tr = torch.cat([enc(d['train_xyz'][i:i + bs]) for i in range(0, 40, bs)])
        te = enc(d['test_xyz'])
    assert close(tr, d['train_features_raw']) and close(te, d['test_features_raw'])
    head = MemoryBankHead()
    head.build_memory(tr, d['train_labels'])
    assert close(head.feature_memory, d['feature_memory'])
    assert torch.equal(head.label_memory, d['label_memory'])
    sim = head.similarity(te)
    assert close(sim, d['sim'])
    ref_head = MemoryBankHead()
    ref_head.feature_memory, ref_head.label_memory = d['feature_memory'], d['label_memory']
    for i, gamma in enumerate(d['gammas'].tolist()):
        # from the official similarities: the logit formula itself
        ref_logits = (-gamma * (1 - d['sim'])).exp() @ d['label_memory']
        assert close(ref_logits, d['logits'][i])
        # end to end: exp amplifies a sim error e by gamma*e (relative)
        ours = head(te, gamma=gamma)
        assert torch.allclose(ours, d['logits'][i], rtol=1e-5 + gamma * 1e-6, atol=1e-5)
        if gamma > 0:  # gamma 0: all logits tie (implementation-defined argmax)
            assert torch.equal(ours.topk(1, 1, True, True)[1].squeeze(1), d['pred'][i])
    acc, best_gamma, _ = search_gamma(sim, head.label_memory, d['test_labels'])
    assert [acc, best_gamma] == d['best_gamma_search'].tolist()


def test_nn_seg_features():
    d = load_fixture('nn_seg.pt')
    assert d['args_points_stages_dim_k_dek_alpha_beta'].tolist() == [1024, 4, 144, 90, 6, 1000,
                                                                     100]
    enc = PointNNEncoder(1024, 4, 144, 90, alpha=1000, beta=100, std_mode='sample')
    dec = PointNNSegDecoder(de_neighbors=6)
    with torch.no_grad():
        xyz_l, x_l = enc.forward_levels(d['xyz'])
        out = dec(xyz_l, x_l).transpose(1, 2)  # (B, 4464, N) official layout
    assert out.shape == (2, 4464, 1024)
    assert close(out[:, :, d['sub_idx32']], d['feat_bz1_sub32'])
    assert close(out.sum(2), d['feat_bz1_sum_over_points'], rtol=1e-5, atol=1e-2)
    assert close(out.sum(1), d['feat_bz1_sum_over_channels'], rtol=1e-5, atol=1e-2)
    assert close(x_l[-1][0].t(), d['enc_coarsest_x_bz1_cloud0'])
    # FPS with exact ties (duplicated points): same coordinates as the CUDA kernel
    assert close(xyz_l[-1][0], d['enc_coarsest_xyz_bz1_cloud0'])
    from mmvideofm.ops import furthest_point_sample
    for b in range(2):
        idx = furthest_point_sample(d['xyz'][b:b + 1], 512)[0]
        ref = d['fps_idx_s1_bz1'][b].long()
        assert torch.equal(d['xyz'][b][idx], d['xyz'][b][ref])
        assert torch.equal(idx, ref)  # the CUDA tie rule reproduces even the indices
    enc.std_mode = 'batch'  # both clouds as one batch: batch-global std
    with torch.no_grad():
        xyz_l, x_l = enc.forward_levels(d['xyz'])
        out_b = dec(xyz_l, x_l).transpose(1, 2)
    assert close(out_b.sum(2), d['feat_batched_sum_over_points'], rtol=1e-5, atol=1e-2)
    assert close(out_b[:, :, d['sub_idx32'][:8]], d['feat_batched_sub8'])


@pytest.mark.parametrize('name,cin,ncls,norm,params', [
    ('mn40', 3, 40, 'mn40', 768508), ('scan', 4, 15, 'scan', 762119)])
def test_point_pn(name, cin, ncls, norm, params):
    keys = json.load(open(os.path.join(DATA, f'pn_{name}_keys.json')))
    assert keys['trainable_params'] == params
    model: PointPNClassifier = MODELS.build(dict(
        type='PointPNClassifier', backbone=dict(type='PointPNEncoder', in_channels=cin, norm=norm),
        head=dict(type='PointPNHead', num_classes=ncls)))
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == params
    # official key layout: the converter is only a prefix map, strict load
    sd = load_fixture(f'pn_{name}_state_dict.pt')
    assert [k for k, _, _ in keys['state_dict']] == list(sd)
    converted = get_converter('point_nn')(sd)
    assert [tuple(v.shape) for v in converted.values()] == [tuple(s) for _, s, _ in
                                                            keys['state_dict']]
    load_state_dict_checked(model, converted, strict=True)
    model.eval()
    io = load_fixture(f'pn_{name}_io.pt')
    points = io['xyz'] if 'xyz' in io else io['x'].transpose(1, 2)
    if cin == 4:
        points = torch.cat([io['xyz'], io['x'].transpose(1, 2)[..., 3:]], -1)
        assert torch.equal(points[..., :3].transpose(1, 2), io['x'][:, :3])
    rec = []
    with torch.no_grad():
        feat = model.backbone(points[..., :cin].transpose(1, 2).contiguous(), points[..., :3], rec)
        logits = model(points, mode='tensor')
    assert close(feat, io['global_feature'])
    assert close(logits, io['logits'])
    for s in range(1, 5):
        assert torch.equal(rec[s - 1]['fps_idx'], io[f'fps_idx_s{s}'].long())
    assert torch.equal(rec[0]['knn_idx'][0].sort(-1)[0], io['knn_idx_s1_c0'].long())
    assert close(rec[3]['pooled'], io['pooled_s4'])
