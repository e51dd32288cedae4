"""Two ranks of a DDP run draw different masks; a restart with the same seed draws the same.

The test launches this file with ``torchrun --nproc_per_node 2`` (gloo on CPU): every rank
seeds like mmengine's runner (``randomness.seed``, the same on all ranks), builds UMT stage 1
and VideoMAE V2, wraps them in ``MMDistributedDataParallel`` and records the masks of two
``train_step`` calls, twice (the second time as a restart: fresh seed, fresh model).
"""
import os.path as osp
import sys

import torch

REPO = osp.abspath(osp.join(osp.dirname(__file__), *[osp.pardir] * 4))

UMT = dict(
    type='UMT', clip_return_layer=1,
    backbone=dict(type='UMTViT', arch=dict(patch_size=8, embed_dim=16, depth=1, num_heads=2,
                                           mlp_ratio=2.),
                  img_size=32, num_frames=2, use_mean_pooling=False, pos_embed_base_thw=None),
    teacher=dict(type='CLIPVisual', arch=None, input_resolution=32, patch_size=8, width=16,
                 layers=1, heads=2, output_dim=8, return_layers=1))
VIDEOMAEV2 = dict(
    type='VideoMAEv2',
    backbone=dict(type='VideoViT', img_size=32, patch_size=8, embed_dim=16, depth=1,
                  num_heads=2, num_frames=4, use_mean_pooling=False, out_type='raw'),
    decoder=dict(type='VideoMAEv2Decoder', embed_dim=16, depth=1, num_heads=2))
# name -> (model config, the method whose output holds the masks)
CASES = dict(umt_runner_seed=(UMT, 'encode_teacher'),
             umt_config_seed=(dict(UMT, seed=5), 'encode_teacher'),
             videomaev2_runner_seed=(VIDEOMAEV2, 'generate_masks'))


def _masks_of_a_run(name: str, seed: int = 0) -> torch.Tensor:
    """Masks of two DDP train steps of a freshly seeded, freshly built model."""
    from mmengine.model import MMDistributedDataParallel
    from mmengine.optim import OptimWrapper
    from mmengine.runner import set_random_seed

    from mmvideofm.registry import MODELS
    cfg, method = CASES[name]
    set_random_seed(seed)  # what the runner does with randomness.seed on every rank
    model = MODELS.build(cfg)
    drawn = []
    draw = getattr(model, method)

    def record(*args, **kwargs):
        out = draw(*args, **kwargs)
        drawn.append(out[1] if method == 'encode_teacher' else out[0])
        return out

    setattr(model, method, record)
    ddp = MMDistributedDataParallel(model)
    wrapper = OptimWrapper(torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                                           lr=0.1))
    frames = cfg['backbone']['num_frames']
    data = dict(inputs=[torch.full((1, 3, frames, 32, 32), 100.)] * 2, data_samples=None)
    for _ in range(2):
        ddp.train_step(data, wrapper)
    return torch.stack(drawn)


def _worker(out_dir: str) -> None:
    import torch.distributed as dist
    from mmengine.registry import init_default_scope
    dist.init_process_group('gloo')
    init_default_scope('mmvideofm')
    import projects.umt  # noqa: F401
    import projects.videomaev2  # noqa: F401
    result = {name: torch.stack([_masks_of_a_run(name) for _restart in range(2)])
              for name in CASES}
    torch.save(result, osp.join(out_dir, f'rank{dist.get_rank()}.pt'))
    dist.destroy_process_group()


def test_ranks_draw_different_masks_and_a_restart_repeats_them(tmp_path, torchrun):
    out = torchrun(__file__, tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    ranks = [torch.load(tmp_path / f'rank{r}.pt', weights_only=True) for r in (0, 1)]
    for name in CASES:
        r0, r1 = ranks[0][name], ranks[1][name]  # (restart, step, B, N)
        assert r0.dtype == torch.bool and r0.shape[:2] == (2, 2)
        assert 0 < int(r0.sum()) < r0.numel()
        for restart in range(2):  # the same data and seed on both ranks, other masks
            for step in range(2):
                assert not torch.equal(r0[restart, step], r1[restart, step]), (name, step)
        assert not torch.equal(r0[0, 0], r0[0, 1]), name  # the stream moves on per step
        assert torch.equal(r0[0], r0[1]) and torch.equal(r1[0], r1[1]), name  # restart


if __name__ == '__main__':
    _worker(sys.argv[1])
