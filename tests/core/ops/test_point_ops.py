"""mmvideofm.ops: torch FPS / kNN / gather against brute-force references."""
import math

import pytest
import torch

from mmvideofm.ops import furthest_point_sample, gather_points, has_mmcv_ops, knn


def cuda_kernel_fps(xyz: torch.Tensor, m: int) -> list[int]:
    """Literal thread-by-thread simulation of the pointnet2 CUDA FPS kernel (one cloud)."""
    n = xyz.shape[0]
    threads = min(2 ** int(math.floor(math.log2(n))), 512)
    pts = xyz.tolist()
    temp = [1e10] * n
    idx, old = [0], 0
    for _ in range(1, m):
        x1, y1, z1 = pts[old]
        best, besti = [-1.0] * threads, [0] * threads
        for t in range(threads):
            for k in range(t, n, threads):
                x2, y2, z2 = pts[k]
                mag = torch.tensor(x2 * x2 + y2 * y2 + z2 * z2, dtype=torch.float32).item()
                if mag <= 1e-3:
                    continue
                d = ((torch.tensor(x2 - x1) ** 2) + (torch.tensor(y2 - y1) ** 2)
                     + (torch.tensor(z2 - z1) ** 2)).item()
                d2 = min(d, temp[k])
                temp[k] = d2
                if d2 > best[t]:
                    best[t], besti[t] = d2, k
        s = threads // 2
        while s >= 1:
            for t in range(s):
                if best[t + s] > best[t]:
                    best[t], besti[t] = best[t + s], besti[t + s]
            s //= 2
        old = besti[0]
        idx.append(old)
    return idx


def plain_fps(xyz: torch.Tensor, m: int) -> list[int]:
    d = torch.full((xyz.shape[0],), float('inf'))
    idx = [0]
    for _ in range(1, m):
        d = torch.minimum(d, ((xyz - xyz[idx[-1]]) ** 2).sum(-1))
        idx.append(int(d.argmax()))
    return idx


def test_fps_cuda_tie_rule_on_lattice():
    # a 4x4x3 lattice plus duplicates: many exact ties; N=50 -> 32 threads
    g = torch.stack(torch.meshgrid(torch.arange(4.), torch.arange(4.), torch.arange(3.),
                                   indexing='ij'), -1).reshape(-1, 3) * 0.5 + 0.1
    xyz = torch.cat([g, g[:2]])  # 50 points
    ours = furthest_point_sample(xyz[None], 20)[0].tolist()
    assert ours == cuda_kernel_fps(xyz, 20)
    first = furthest_point_sample(xyz[None], 20, tie_break='first')[0].tolist()
    assert first == plain_fps(xyz, 20)
    assert ours != first  # the two tie rules differ on this input


def test_fps_near_origin_skip_and_batch():
    gen = torch.Generator().manual_seed(0)
    xyz = torch.randn(3, 200, 3, generator=gen)
    xyz[0, 5] = 0.01  # |p|^2 = 3e-4 <= 1e-3: never selected
    xyz[1, 0] = 0.0  # index 0 is always taken first, even near the origin
    idx = furthest_point_sample(xyz, 150)
    assert idx.dtype == torch.long and idx.shape == (3, 150)
    assert 5 not in idx[0].tolist()
    assert idx[1, 0] == 0 and idx[1].tolist().count(0) == 1
    for b in range(3):  # batched == per cloud == literal kernel
        assert idx[b].tolist() == furthest_point_sample(xyz[b:b + 1], 150)[0].tolist()
    assert idx[2, :12].tolist() == cuda_kernel_fps(xyz[2], 12)
    noskip = furthest_point_sample(xyz[:1], 150, skip_near_origin=False, tie_break='first')
    assert noskip[0].tolist() == plain_fps(xyz[0], 150)
    assert len(set(idx[0].tolist())) == 150  # no repeats while distinct points remain


def test_knn_matches_brute_force():
    gen = torch.Generator().manual_seed(1)
    xyz = torch.rand(2, 64, 3, generator=gen)
    q = xyz[:, :10]
    idx = knn(8, xyz, q)
    assert idx.shape == (2, 10, 8)
    ref = torch.cdist(q, xyz).argsort(-1)[..., :8]
    assert torch.equal(idx.sort(-1)[0], ref.sort(-1)[0])
    assert (idx == torch.arange(10).view(1, 10, 1)).any(-1).all()  # the query itself
    s = knn(8, xyz, q, sorted=True)
    d = torch.cdist(q, xyz).gather(2, s)
    assert (d[..., 1:] >= d[..., :-1] - 1e-6).all()


def test_gather_points():
    pts = torch.randn(2, 7, 5)
    idx = torch.randint(0, 7, (2, 3, 4))
    out = gather_points(pts, idx)
    ref = torch.stack([pts[b][idx[b]] for b in range(2)])
    assert torch.equal(out, ref)


def test_bad_inputs():
    with pytest.raises(ValueError, match='cannot sample'):
        furthest_point_sample(torch.rand(1, 4, 3), 5)
    with pytest.raises(ValueError, match=r'\(B, N, 3\)'):
        furthest_point_sample(torch.rand(4, 3), 2)
    with pytest.raises(ValueError, match='neighbours'):
        knn(9, torch.rand(1, 8, 3), torch.rand(1, 2, 3))
    with pytest.raises(ValueError, match='backend'):
        furthest_point_sample(torch.rand(1, 8, 3), 2, backend='cuda')


def test_mmcv_backend_unavailable_is_loud():
    if has_mmcv_ops() and torch.cuda.is_available():
        pytest.skip('mmcv ops available: covered by test_mmcv_matches_torch')
    with pytest.raises(RuntimeError, match='mmcv'):
        furthest_point_sample(torch.rand(1, 8, 3), 2, backend='mmcv')


@pytest.mark.gpu
@pytest.mark.skipif(not (torch.cuda.is_available() and has_mmcv_ops()),
                    reason='needs CUDA and mmcv full (compiled ops)')
def test_mmcv_matches_torch():
    gen = torch.Generator().manual_seed(2)
    xyz = torch.randn(4, 1024, 3, generator=gen).cuda()
    a = furthest_point_sample(xyz, 256, backend='mmcv')
    b = furthest_point_sample(xyz, 256, backend='torch')
    assert torch.equal(a, b)
    q = xyz[:, :64]
    assert torch.equal(knn(16, xyz, q, backend='mmcv').sort(-1)[0],
                       knn(16, xyz, q, backend='torch').sort(-1)[0])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_torch_path_on_cuda_matches_cpu():
    xyz = torch.randn(2, 300, 3)
    cpu = furthest_point_sample(xyz, 100, backend='torch')
    gpu = furthest_point_sample(xyz.cuda(), 100, backend='torch').cpu()
    assert torch.equal(cpu, gpu)
