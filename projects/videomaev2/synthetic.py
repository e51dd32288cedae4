"""VideoMAE V2 on the synthetic world: pre-train, fine-tune, and compare with scratch.

    python projects/videomaev2/synthetic.py experiment [--pt-iters N --ft-iters M ...]

Runs, in one process, what the three ``*_synthetic.py`` configs run with ``tools/train.py``:
dual-masking pre-training on unlabeled clips, fine-tuning on the 'direction' task (which one
frame cannot solve), and the same fine-tuning from a random init. Models, optimizers (layer
decay) and schedules are built from the configs; the clips are those of
``SyntheticVideoDataset`` (same world, seed and split), decoded once into memory.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch

CFG_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'configs',
                       'videomaev2')
PT_CFG = 'videomaev2_vit-tiny-p4_dual-mask-pt_direction-8x32_synthetic.py'
FT_CFG = 'vit-tiny-p4_videomaev2-pt-ft_direction-8x32_synthetic.py'
SCRATCH_CFG = 'vit-tiny-p4_scratch-ft_direction-8x32_synthetic.py'


def load_cfg(name: str):
    from mmengine.config import Config
    return Config.fromfile(os.path.join(CFG_DIR, name))


def make_clips(dataset_cfg: dict, num_samples: int | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips ``(N, 3, T, H, W)`` uint8 and labels of a ``SyntheticVideoDataset`` config."""
    from mmvideofm.datasets.synthetic import SyntheticWorld, WorldConfig
    n = int(num_samples or dataset_cfg['num_samples'])
    world = SyntheticWorld(WorldConfig(num_frames=dataset_cfg['num_frames'],
                                       size=dataset_cfg['size'],
                                       **(dataset_cfg.get('world_cfg') or {})),
                           seed=dataset_cfg.get('seed', 0), split=dataset_cfg['split'])
    clips = [world.sample(i, dataset_cfg['task']) for i in range(n)]
    x = torch.stack([torch.from_numpy(c.frames) for c in clips]).permute(0, 4, 1, 2, 3)
    y = torch.tensor([int(c.labels[dataset_cfg['task']]) for c in clips])
    return x.contiguous(), y


def _train(model, cfg, batches, iters: int):
    """Run ``iters`` optimizer steps with the config's optim wrapper and schedulers."""
    from mmengine.optim import build_optim_wrapper

    from mmvideofm.registry import PARAM_SCHEDULERS
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper))
                  for s in cfg.param_scheduler]
    model.train()
    losses = []
    for it in range(iters):
        data = batches(it)
        out = model.train_step(data, wrapper)
        losses.append(float(out['loss'].detach()))
        for s in schedulers:
            s.step()
    return losses


def _batches(x, y, batch_size: int, seed: int, with_labels: bool):
    from mmaction.structures import ActionDataSample
    gen = torch.Generator().manual_seed(seed)

    def get(_it):
        idx = torch.randint(0, len(x), (batch_size, ), generator=gen)
        samples = ([ActionDataSample().set_gt_label(int(y[i])) for i in idx]
                   if with_labels else None)
        return dict(inputs=[x[i][None] for i in idx], data_samples=samples)
    return get


@torch.no_grad()
def evaluate(model, x, y, batch_size: int = 100) -> float:
    """Top-1 accuracy of a recognizer on clips ``x`` (uint8)."""
    from mmaction.structures import ActionDataSample
    model.eval()
    correct = 0
    for i in range(0, len(x), batch_size):
        data = dict(inputs=[v[None] for v in x[i:i + batch_size]],
                    data_samples=[ActionDataSample() for _ in x[i:i + batch_size]])
        preds = model.test_step(data)
        correct += sum(int(p.pred_score.argmax()) == int(t)
                       for p, t in zip(preds, y[i:i + batch_size]))
    return correct / len(x)


def run_experiment(pt_iters: int | None = None, ft_iters: int | None = None,
                   num_unlabeled: int | None = None, num_labeled: int | None = None,
                   num_val: int | None = None, seed: int = 0, verbose: bool = True) -> dict:
    """Pre-train -> fine-tune vs scratch at the same fine-tuning budget; returns accuracies."""
    from mmengine.registry import DefaultScope

    import projects.videomaev2  # noqa: F401
    from mmvideofm.registry import MODELS
    if not DefaultScope.check_instance_created('videomaev2_synthetic'):
        DefaultScope.get_instance('videomaev2_synthetic', scope_name='mmvideofm')
    pt_cfg, ft_cfg, scratch_cfg = load_cfg(PT_CFG), load_cfg(FT_CFG), load_cfg(SCRATCH_CFG)
    pt_iters = pt_iters or pt_cfg.train_cfg.max_iters
    ft_iters = ft_iters or ft_cfg.train_cfg.max_iters
    log = (lambda *a: print(*a, flush=True)) if verbose else (lambda *a: None)
    t0 = time.time()
    x_pt, _ = make_clips(pt_cfg.train_dataloader.dataset, num_unlabeled)
    x_ft, y_ft = make_clips(ft_cfg.train_dataloader.dataset, num_labeled)
    x_val, y_val = make_clips(ft_cfg.val_dataloader.dataset, num_val)
    log(f'data: {len(x_pt)} unlabeled, {len(x_ft)} labeled, {len(x_val)} val '
        f'({time.time() - t0:.1f}s)')

    torch.manual_seed(seed)
    pretrainer = MODELS.build(pt_cfg.model)
    t0 = time.time()
    pt_losses = _train(pretrainer, pt_cfg, _batches(x_pt, None, pt_cfg.train_dataloader.batch_size,
                                                     seed, False), pt_iters)
    log(f'pre-training: {pt_iters} iters, loss {pt_losses[0]:.3f} -> '
        f'{sum(pt_losses[-20:]) / len(pt_losses[-20:]):.3f} ({time.time() - t0:.1f}s)')
    encoder = {k[len('backbone.'):]: v for k, v in pretrainer.state_dict().items()
               if k.startswith('backbone.')}

    results = dict(pt_iters=pt_iters, ft_iters=ft_iters, num_unlabeled=len(x_pt),
                   num_labeled=len(x_ft), num_val=len(x_val))
    for name, cfg, init in (('pretrained', ft_cfg, encoder), ('scratch', scratch_cfg, None)):
        model_cfg = cfg.model.to_dict()
        model_cfg['backbone'].pop('init_cfg', None)
        torch.manual_seed(seed + 1)
        model = MODELS.build(model_cfg)
        if init is not None:
            missing, unexpected = model.backbone.load_state_dict(init, strict=False)
            assert set(missing) <= {'fc_norm.weight', 'fc_norm.bias'}, missing
        t0 = time.time()
        _train(model, cfg, _batches(x_ft, y_ft, cfg.train_dataloader.batch_size, seed + 2, True),
               ft_iters)
        results[f'{name}_top1'] = evaluate(model, x_val, y_val)
        log(f'{name}: top-1 {results[f"{name}_top1"]:.3f} ({time.time() - t0:.1f}s)')
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('command', choices=['experiment'])
    parser.add_argument('--pt-iters', type=int)
    parser.add_argument('--ft-iters', type=int)
    parser.add_argument('--num-unlabeled', type=int)
    parser.add_argument('--num-labeled', type=int)
    parser.add_argument('--num-val', type=int)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads (tiny models: more threads mostly add overhead)')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    res = run_experiment(args.pt_iters, args.ft_iters, args.num_unlabeled, args.num_labeled,
                         args.num_val, args.seed)
    print(json.dumps(res, indent=2))


if __name__ == '__main__':
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
    main()
