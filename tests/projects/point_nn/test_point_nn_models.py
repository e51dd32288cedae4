"""Models: chunked encoder vs the unchunked reference, heads, Point-PN, plug-and-play."""
import pytest
import torch

from mmvideofm.datasets.synthetic.primitives3d import make_primitives_dataset
from mmvideofm.registry import MODELS
from projects.point_nn.benchmarks import naive_point_nn_features
from projects.point_nn.models import MemoryBankHead, PartPrototypeHead, PointNNEncoder, PointPNHead

SMALL = dict(input_points=128, num_stages=4, embed_dim=24, k_neighbors=8)


def test_chunked_encoder_equals_reference():
    xyz = torch.randn(3, 128, 3)
    ref = naive_point_nn_features(xyz, 4, 24, 8)
    for chunk in (1 << 10, 1 << 19):  # many chunks / one chunk per stage
        out = PointNNEncoder(**SMALL, chunk_elems=chunk)(xyz)
        assert torch.allclose(out, ref, rtol=1e-5, atol=1e-5)


def test_std_modes():
    xyz = torch.randn(3, 128, 3)
    enc = PointNNEncoder(**SMALL, std_mode='sample')
    per_cloud = torch.cat([enc(xyz[i:i + 1]) for i in range(3)])
    assert torch.allclose(enc(xyz), per_cloud, rtol=1e-5, atol=1e-5)
    batch = PointNNEncoder(**SMALL)(xyz)
    assert not torch.allclose(batch, per_cloud, atol=1e-3)  # official batch dependence


def test_encoder_bad_inputs():
    enc = PointNNEncoder(**SMALL)
    xyz = torch.randn(3, 128, 3)
    xyz[2, 5, 0] = float('nan')
    with pytest.raises(ValueError, match=r'sample\(s\) \[2\]'):
        enc(xyz)
    with pytest.raises(ValueError, match='too small'):
        enc(torch.randn(1, 8, 3))
    with pytest.raises(ValueError, match='k_neighbors=90 exceeds the 64 points'):
        PointNNEncoder()(torch.randn(1, 512, 3))
    with pytest.raises(ValueError, match='multiple of 6'):
        PointNNEncoder(embed_dim=70)


def test_memory_bank_head_roundtrip():
    head = MemoryBankHead(gamma=10.0)
    with pytest.raises(RuntimeError, match='memory bank is empty'):
        head(torch.randn(2, 5))
    feats, labels = torch.randn(6, 5), torch.tensor([0, 1, 2, 0, 1, 2])
    head.build_memory(feats, labels)
    assert head.label_memory.shape == (6, 3)  # num_classes inferred as max + 1
    assert head(feats).argmax(1).tolist() == labels.tolist()
    head.gamma.fill_(42.0)
    fresh = MemoryBankHead(gamma=1.0)
    fresh.load_state_dict(head.state_dict())  # buffers resized on load
    assert float(fresh.gamma) == 42.0 and torch.equal(fresh(feats), head(feats))
    with pytest.raises(ValueError, match='labels must lie'):
        MemoryBankHead(num_classes=2).build_memory(feats, labels)


def test_part_prototype_head():
    feats = torch.tensor([[1.0, 0], [0.9, 0.1], [0, 1.0], [0.1, 0.9]])
    parts = torch.tensor([3, 3, 4, 4])
    protos, ids = PartPrototypeHead.prototypes(feats, parts)
    assert ids.tolist() == [3, 4] and torch.allclose(protos[0], feats[:2].mean(0))
    head = PartPrototypeHead(num_parts=6, gamma=50.0)
    head.build_memory(protos, torch.tensor([1, 1]), ids)
    assert head(feats, shape_id=1).argmax(1).tolist() == parts.tolist()
    with pytest.raises(RuntimeError, match='no prototypes for shape category 0'):
        head(feats, shape_id=0)


def test_point_pn_train_step_and_smoothing():
    model = MODELS.build(dict(
        type='PointPNClassifier',
        backbone=dict(type='PointPNEncoder', in_channels=4, input_points=64, k_neighbors=8,
                      embed_dim=12, norm='scan'),
        head=dict(type='PointPNHead', in_channels=96, num_classes=5, label_smoothing=0.5)))
    from mmaction.structures import ActionDataSample
    samples = [ActionDataSample().set_gt_label(i % 5) for i in range(4)]
    points = torch.randn(4, 64, 4)
    loss = model(points, samples, mode='loss')['loss_cls']
    loss.backward()
    assert model.backbone.raw_point_embed.net[0].weight.grad is not None
    with pytest.raises(ValueError, match='AddPointHeight'):
        model(points[..., :3], mode='tensor')
    head = PointPNHead(in_channels=4, num_classes=3, label_smoothing=0.3)
    logits, y = torch.randn(2, 3), torch.tensor([0, 2])
    target = torch.tensor([[0.7, 0.15, 0.15], [0.15, 0.15, 0.7]])
    ref = -(target * logits.log_softmax(1)).sum(1).mean()
    assert torch.allclose(head.loss(logits, y), ref)


def test_plug_and_play_improves_weak_classifier():
    torch.manual_seed(0)
    cfg = dict(num_points=128, noise=0.02, partial_prob=0.5, clutter_prob=0.3)
    tr, te = make_primitives_dataset(10, seed=0, **cfg), make_primitives_dataset(5, seed=1, **cfg)
    x, y = torch.from_numpy(tr['points']), torch.from_numpy(tr['labels'])
    xt, yt = torch.from_numpy(te['points']), torch.from_numpy(te['labels'])
    model = MODELS.build(dict(
        type='PlugAndPlayClassifier',
        classifier=dict(type='PointPNClassifier',
                        backbone=dict(type='PointPNEncoder', input_points=128, k_neighbors=12,
                                      embed_dim=12),
                        head=dict(type='PointPNHead', in_channels=96, num_classes=8)),
        point_nn=dict(type='PointNNClassifier',
                      backbone=dict(type='PointNNEncoder', input_points=128, k_neighbors=12),
                      head=dict(type='MemoryBankHead', num_classes=8, gamma=300.0))))
    from mmaction.structures import ActionDataSample
    weak = model.classifier  # a weak classifier: two epochs on 80 clouds
    opt = torch.optim.AdamW(weak.parameters(), lr=3e-3)
    for _ in range(2):
        for i in range(0, 80, 16):
            samples = [ActionDataSample().set_gt_label(int(v)) for v in y[i:i + 16]]
            loss = weak(x[i:i + 16], samples, mode='loss')['loss_cls']
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        model.point_nn.head.build_memory(
            torch.cat([model.point_nn.extract_feat(x[i:i + 16]) for i in range(0, 80, 16)]), y)
        weak_acc = (weak(xt).argmax(1) == yt).float().mean().item()
        pnp_acc = (model(xt).argmax(1) == yt).float().mean().item()
        nn_acc = (model.point_nn(xt).argmax(1) == yt).float().mean().item()
    assert nn_acc > 0.4  # chance: 0.125
    assert pnp_acc >= weak_acc + 0.1
    with pytest.raises(RuntimeError, match='inference only'):
        model(xt, mode='loss')


def test_features_benchmark_is_registered_and_runs():
    from mmvideofm.engine.benchmark import get_benchmark
    out = get_benchmark('point_nn/features')(['--iters', '1', '--batch-size', '2', '--points',
                                              '128', '--k', '8', '--num-clouds', '5'])
    assert len(out['ours']['seconds_per_batch']) == 1 and 'official' not in out
    assert out['extrapolated_total_seconds'] > 0


def test_leave_one_out_gamma_matches_brute_force():
    model = MODELS.build(dict(type='PointNNClassifier',
                              backbone=dict(type='PointNNEncoder', input_points=64, k_neighbors=4),
                              head=dict(type='MemoryBankHead')))
    gen = torch.Generator().manual_seed(0)
    feats, labels = torch.randn(11, 6, generator=gen), torch.randint(0, 3, (11,), generator=gen)
    model.head.build_memory(feats, labels)
    gammas = (1.0, 5.0, 50.0)
    acc, gamma = model.select_gamma_on_train(gammas=gammas, chunk=4)
    f = feats / feats.norm(dim=1, keepdim=True)
    accs = []
    for g in gammas:  # brute force: each sample voted on by the others only
        hits = 0
        for i in range(11):
            others = [j for j in range(11) if j != i]
            w = (-g * (1 - f[others] @ f[i])).exp()
            votes = torch.zeros(3).index_add_(0, labels[others], w)
            hits += int(votes.argmax() == labels[i])
        accs.append(100.0 * hits / 11)
    best = max(range(3), key=lambda i: (accs[i], -i))
    assert acc == pytest.approx(accs[best]) and gamma == gammas[best]
