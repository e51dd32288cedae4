"""UMT on the synthetic world: image teacher -> stage 1 -> fine-tune vs scratch.

The paper's claim at toy scale: a student aligned to an *image* teacher (trained on single
frames, so it knows what is where but nothing about motion) fine-tunes better on a task one
frame cannot solve than the same student trained from scratch with the same fine-tuning
budget. :func:`semantic_config` is the setting where it holds ('mover_shape': which shape
moves, needing the teacher's appearance knowledge and time); the 'direction' settings
(:class:`ToyConfig`, :func:`p4_config`; pure motion) are where it does not. Everything is
in-memory and CPU-sized; ``run_experiment`` returns the measured numbers (used by the tests
and the README).
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mmvideofm.datasets.synthetic import COLORS, SHAPES, TASKS, SyntheticWorld, WorldConfig
from mmvideofm.registry import MODELS

__all__ = ['ToyConfig', 'p4_config', 'semantic_config', 'make_clips', 'frame_semantic_labels',
           'frame_context_targets', 'frame_patch_color_targets', 'frame_patch_shape_targets',
           'train_image_teacher', 'pretrain_umt', 'finetune_task', 'run_experiment']

FT_LR = 1e-3
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1, 1)


@dataclass
class ToyConfig:
    size: int = 32
    num_frames: int = 8   # frames rendered by the world
    frame_stride: int = 2  # the models see num_frames // frame_stride frames
    patch: int = 8
    width: int = 64
    depth: int = 4
    heads: int = 4
    teacher_dim: int = 32
    align_layers: int = 2
    mask_ratio: float = 0.8
    n_unlabeled: int = 800
    n_train: int = 1920
    n_val: int = 300
    teacher_steps: int = 400
    pretrain_epochs: int = 5
    finetune_epochs: int = 4
    batch_size: int = 24
    seed: int = 0
    max_objects: int = 2
    motion: tuple = (0.6, 0.8)
    noise: int = 6        # world background texture (0 = flat background)
    object_size: tuple = (0.18, 0.26)  # object side as a fraction of ``size``
    task: str = 'direction'  # the fine-tuning task (a key of the world's TASKS)
    teacher_target: str = 'context'  # 'context' | 'patch_color' | 'patch_shape'
    # per-patch class targets: 'linear' probe, or 'cosine' = CLIP-style head (cosine to class
    # prototypes x a fixed logit scale), which puts the classes on the unit sphere the
    # alignment loss compares
    teacher_probe: str = 'linear'
    teacher_logit_scale: float = 10.
    pretrain_iters: int = 0  # > 0: stage 1 by random batches of ``batch_size`` (else epochs)
    ft_iters: int = 0     # > 0: fine-tune by random batches of ``ft_batch_size`` (else epochs)
    ft_batch_size: int = 32
    ft_lr: float = FT_LR
    # 'official': mean pool -> new fc_norm -> head, as the official fine-tuning builds it;
    # 'normed_tokens': mean of the stage-1 ``norm``-ed tokens -> Linear
    ft_head: str = 'normed_tokens'
    ft_pct_start: float = 0.15
    label_smoothing: float = 0.1
    pretrain_lr: float = 1.5e-3
    pretrain_warmup: bool = False  # OneCycle (10 % warm-up) instead of a constant stage-1 lr


def p4_config(**kwargs) -> ToyConfig:
    """The VideoMAE V2 synthetic regime (``configs/videomaev2/*synthetic*``): patch 4 on
    32 px, flat background, 2-3 objects, 2000 unlabeled / 500 labeled / 400 val clips;
    stage 1 600 iters x 32 clips (mask 0.8: 13 of 64 tokens per frame kept); fine-tuning
    300 iters x 32 clips, AdamW 1e-3 OneCycle (10 % warm-up), no label smoothing."""
    base = dict(patch=4, noise=0, max_objects=3, motion=(0.35, 0.55), n_unlabeled=2000,
                n_train=500, n_val=400, ft_iters=300, ft_batch_size=32, ft_pct_start=0.1,
                label_smoothing=0., batch_size=32, pretrain_iters=600, mask_ratio=0.8)
    base.update(kwargs)
    return ToyConfig(**base)


def semantic_config(**kwargs) -> ToyConfig:
    """The setting where the image teacher's knowledge matters: fine-tune on 'mover_shape'
    (one of 2 objects moves; which shape is it?), the teacher knows every patch's shape
    (``patch_shape`` through a CLIP-style cosine head), flat background, objects of
    9-11 px on 32 px so that a patch-8 teacher can tell shapes apart; fine-tuning 12 epochs
    of 1920 clips in the official fine-tuning layout."""
    base = dict(task='mover_shape', teacher_target='patch_shape', teacher_probe='cosine',
                noise=0, object_size=(0.28, 0.36), teacher_steps=800, finetune_epochs=12,
                ft_head='official')
    base.update(kwargs)
    return ToyConfig(**base)


def make_clips(n: int, split: str, cfg: ToyConfig, task: str | None = 'direction',
               seed: int = 0):
    """``(video (n, 3, T, H, W) normalised, labels (n,), clips)`` from the synthetic world."""
    world = SyntheticWorld(WorldConfig(num_frames=cfg.num_frames, size=cfg.size,
                                       max_objects=cfg.max_objects, motion=cfg.motion,
                                       noise=cfg.noise, object_size=cfg.object_size),
                           seed=seed, split=split)
    clips = [world.sample(i, task) for i in range(n)]
    frames = torch.from_numpy(np.stack([c.frames[::cfg.frame_stride] for c in clips]))
    # frames: (n, T, H, W, 3) uint8
    video = frames.permute(0, 4, 1, 2, 3).float() / 255.
    video = (video - MEAN) / STD
    labels = torch.tensor([c.labels[task] if task else -1 for c in clips])
    return video, labels, clips


def _visible_objects(clips, cfg: ToyConfig):
    """``(clip index, model frame index, world frame, object, box floats)`` of every object
    visible in the frames the models see."""
    ts = range(0, cfg.num_frames, cfg.frame_stride)
    for i, clip in enumerate(clips):
        for j, t in enumerate(ts):
            for obj in clip.objects:
                if obj.visible[t]:
                    yield i, j, t, obj, tuple(float(v) for v in obj.boxes[t])


def _centre_cell(box: tuple, cfg: ToyConfig) -> tuple[int, int]:
    """Grid cell ``(row, col)`` of a box's centre."""
    g = cfg.size // cfg.patch
    x0, y0, x1, y1 = box
    return (min(g - 1, max(0, int((y0 + y1) / 2 // cfg.patch))),
            min(g - 1, max(0, int((x0 + x1) / 2 // cfg.patch))))


def frame_semantic_labels(clips, cfg: ToyConfig) -> torch.Tensor:
    """Per frame, what an image-text model would know: multi-hot over (colour, coarse cell
    of the object's centre) and (colour, shape), ``(n, T, C*G*G + C*S)`` float.

    Trained through the [CLS] embedding only (like CLIP), so the teacher's deep patch tokens
    become contextual; the UMT student must then use attention to match them.
    """
    g = cfg.size // cfg.patch
    colors = list(COLORS)
    n_pos = len(colors) * g * g
    ts = list(range(0, cfg.num_frames, cfg.frame_stride))
    out = torch.zeros(len(clips), len(ts), n_pos + len(colors) * len(SHAPES))
    for i, j, t, obj, box in _visible_objects(clips, cfg):
        cy, cx = _centre_cell(box, cfg)
        c = colors.index(obj.colors[t])
        out[i, j, c * g * g + cy * g + cx] = 1
        out[i, j, n_pos + c * len(SHAPES) + SHAPES.index(obj.shape)] = 1
    return out


def frame_context_targets(clips, cfg: ToyConfig) -> torch.Tensor:
    """Per frame and patch: for every colour, a presence flag and the offset (in frame units)
    from the patch to that object's centre, ``(n, T, G*G, 3 * C)``. A target that needs the
    whole frame (context), as CLIP's deep patch tokens carry."""
    g = cfg.size // cfg.patch
    colors = list(COLORS)
    centres = (torch.arange(g, dtype=torch.float) + 0.5) * cfg.patch
    cy, cx = torch.meshgrid(centres, centres, indexing='ij')
    cx, cy = cx.flatten(), cy.flatten()  # (G*G,)
    ts = list(range(0, cfg.num_frames, cfg.frame_stride))
    out = torch.zeros(len(clips), len(ts), g * g, 3 * len(colors))
    for i, j, t, obj, (x0, y0, x1, y1) in _visible_objects(clips, cfg):
        c = colors.index(obj.colors[t])
        out[i, j, :, 3 * c] = 1.
        out[i, j, :, 3 * c + 1] = ((x0 + x1) / 2 - cx) / cfg.size
        out[i, j, :, 3 * c + 2] = ((y0 + y1) / 2 - cy) / cfg.size
    return out


def frame_patch_color_targets(clips, cfg: ToyConfig) -> torch.Tensor:
    """Per frame and patch: which colour covers the patch (0 = background, else 1 + colour
    index; the topmost object wins), ``(n, T, G*G)`` long. A local target: identity and
    position of every object, nothing about motion."""
    g = cfg.size // cfg.patch
    colors = list(COLORS)
    ts = list(range(0, cfg.num_frames, cfg.frame_stride))
    out = torch.zeros(len(clips), len(ts), g, g, dtype=torch.long)
    centres = (torch.arange(g, dtype=torch.float) + 0.5) * cfg.patch
    for i, j, t, obj, (x0, y0, x1, y1) in _visible_objects(clips, cfg):
        ys = (centres >= y0) & (centres < y1)
        xs = (centres >= x0) & (centres < x1)
        out[i, j][ys[:, None] & xs[None, :]] = 1 + colors.index(obj.colors[t])
    return out.flatten(2)


def frame_patch_shape_targets(clips, cfg: ToyConfig) -> torch.Tensor:
    """Per frame and patch: the shape of the object centred in the patch (0 = none, else 1 +
    shape index; the topmost object wins), ``(n, T, G*G)`` long. What an image model knows
    about appearance; nothing about motion."""
    g = cfg.size // cfg.patch
    ts = list(range(0, cfg.num_frames, cfg.frame_stride))
    out = torch.zeros(len(clips), len(ts), g, g, dtype=torch.long)
    for i, j, _, obj, box in _visible_objects(clips, cfg):
        out[i, j][_centre_cell(box, cfg)] = 1 + SHAPES.index(obj.shape)
    return out.flatten(2)


_PATCH_TARGETS = {'patch_color': (frame_patch_color_targets, len(COLORS) + 1),
                  'patch_shape': (frame_patch_shape_targets, len(SHAPES) + 1)}


def _teacher_targets(clips, cfg: ToyConfig) -> torch.Tensor:
    if cfg.teacher_target in _PATCH_TARGETS:
        return _PATCH_TARGETS[cfg.teacher_target][0](clips, cfg)
    if cfg.teacher_target != 'context':
        raise ValueError(f'teacher_target must be context, {", ".join(_PATCH_TARGETS)}; got '
                         f'{cfg.teacher_target!r}')
    return frame_context_targets(clips, cfg)


class CosineProbe(nn.Module):
    """CLIP's zero-shot head at toy scale: cosine between a token and learned class
    prototypes (CLIP's text embeddings), times a fixed logit scale."""

    def __init__(self, dim: int, num_classes: int, logit_scale: float = 10.) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(num_classes, dim) * dim ** -0.5)
        self.logit_scale = logit_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logit_scale * F.normalize(x, dim=-1) @ F.normalize(self.weight, dim=-1).t()


def _teacher_cfg(cfg: ToyConfig) -> dict:
    return dict(type='CLIPVisual', arch=None, input_resolution=cfg.size, patch_size=cfg.patch,
                width=cfg.width, layers=cfg.depth, heads=cfg.heads, output_dim=cfg.teacher_dim,
                return_layers=cfg.align_layers, frozen=False)


def _student_cfg(cfg: ToyConfig, **kwargs) -> dict:
    return dict(type='UMTViT', arch=dict(patch_size=cfg.patch, embed_dim=cfg.width,
                                         depth=cfg.depth, num_heads=cfg.heads, mlp_ratio=4.),
                img_size=cfg.size, num_frames=cfg.num_frames // cfg.frame_stride,
                pos_embed_base_thw=None, **{'use_mean_pooling': False, **kwargs})


def train_image_teacher(video: torch.Tensor, labels: torch.Tensor, cfg: ToyConfig):
    """Train a tiny CLIP-style visual tower on single frames through its image embedding.

    ``labels``: :func:`frame_semantic_labels` ``(n, T, K)``. Returns the frozen teacher with
    ``teacher.train_f1`` (multi-label F1 on training frames, %).
    """
    gen = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    teacher = MODELS.build(_teacher_cfg(cfg))
    frames = video.transpose(1, 2).flatten(0, 1)  # (n*T, 3, H, W)
    targets = labels.flatten(0, 1)  # (n*T, ...)

    def patch_tokens(x):  # last returned layer, (B, G*G, C)
        return teacher(x.unsqueeze(2))[0][-1]

    if labels.ndim == 4:  # dense contextual targets (frame_context_targets): R^2 (%)
        probe = nn.Linear(cfg.teacher_dim, labels.shape[-1])
        return _fit_teacher(
            teacher, probe, frames, targets, cfg, gen, patch_tokens,
            loss_fn=lambda out, tgt: F.mse_loss(out * 4., tgt),
            score_fn=lambda out, tgt: 100. * (1 - F.mse_loss(out * 4., tgt).item()
                                              / tgt.var().item()),
            num_eval=256)
    if labels.dtype == torch.long:  # per-patch classes (frame_patch_{color,shape}_targets)
        num_classes = _PATCH_TARGETS.get(cfg.teacher_target, (None, len(COLORS) + 1))[1]
        if cfg.teacher_probe not in ('linear', 'cosine'):
            raise ValueError(f"teacher_probe must be 'linear' or 'cosine', got "
                             f'{cfg.teacher_probe!r}')
        probe = (CosineProbe(cfg.teacher_dim, num_classes, cfg.teacher_logit_scale)
                 if cfg.teacher_probe == 'cosine' else nn.Linear(cfg.teacher_dim, num_classes))

        def patch_acc(out, tgt):  # accuracy on object patches (%)
            fg = tgt > 0
            return float((out.argmax(-1)[fg] == tgt[fg]).float().mean() * 100)

        return _fit_teacher(
            teacher, probe, frames, targets, cfg, gen, patch_tokens,
            loss_fn=lambda out, tgt: F.cross_entropy(out.flatten(0, 1), tgt.flatten()),
            score_fn=patch_acc, num_eval=256)
    probe = nn.Linear(cfg.teacher_dim, labels.shape[-1])

    def multilabel_f1(out, tgt):
        pred, tgt = out > 0, tgt > 0
        tp = (pred & tgt).sum().item()
        return 200. * tp / max(1, pred.sum().item() + tgt.sum().item())

    return _fit_teacher(
        teacher, probe, frames, targets, cfg, gen,
        teacher.encode_image,  # unit-norm image embedding
        loss_fn=lambda out, tgt: F.binary_cross_entropy_with_logits(out * 10., tgt),
        score_fn=multilabel_f1, num_eval=512)


def _fit_teacher(teacher, probe, frames, targets, cfg, gen, features, loss_fn, score_fn,
                 num_eval):
    """Fit ``probe(features(frames))`` to ``targets`` on single frames, then freeze the
    teacher; its training-set score is kept as ``teacher.train_f1``."""
    opt = torch.optim.AdamW(list(teacher.parameters()) + list(probe.parameters()), lr=2e-3,
                            weight_decay=0.05)
    teacher.train()
    for _ in range(cfg.teacher_steps):
        idx = torch.randint(0, frames.shape[0], (64, ), generator=gen)
        loss = loss_fn(probe(features(frames[idx])), targets[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    teacher.frozen = True
    teacher.requires_grad_(False)
    teacher.eval()
    with torch.no_grad():
        teacher.train_f1 = score_fn(probe(features(frames[:num_eval])), targets[:num_eval])
    return teacher


def pretrain_umt(video: torch.Tensor, teacher: nn.Module, cfg: ToyConfig) -> nn.Module:
    """UMT stage 1 on unlabeled clips; returns the UMT model (``.loss_history``: mean
    alignment loss per epoch)."""
    torch.manual_seed(cfg.seed)
    model = MODELS.build(dict(type='UMT', backbone=_student_cfg(cfg),
                              teacher=_teacher_cfg(cfg), clip_return_layer=cfg.align_layers,
                              mask_ratio=cfg.mask_ratio, mask_seed=cfg.seed))
    model.teacher.load_state_dict(teacher.state_dict())
    model.teacher.frozen = True
    model.teacher.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.pretrain_lr, betas=(0.9, 0.95), weight_decay=0.05)
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    model.train()
    history = []
    if cfg.pretrain_iters > 0:  # random batches, losses averaged in 5 chunks
        chunk = max(1, cfg.pretrain_iters // 5)
        epochs = [[torch.randint(0, video.shape[0], (cfg.batch_size, ), generator=gen)
                   for _ in range(chunk)] for _ in range(cfg.pretrain_iters // chunk)]
    else:
        epochs = [torch.randperm(video.shape[0], generator=gen).split(cfg.batch_size)
                  for _ in range(cfg.pretrain_epochs)]
    sched = (torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=cfg.pretrain_lr, total_steps=sum(len(b) for b in epochs), pct_start=0.1)
        if cfg.pretrain_warmup else None)
    for batches in epochs:
        losses = []
        for idx in batches:
            loss = model.loss(video[idx])['loss_align']
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            losses.append(loss.item())
        history.append(sum(losses) / len(losses))
    model.loss_history = history
    return model


class _Classifier(nn.Module):
    """Mean of the ``norm``-ed tokens -> Linear (the head the first measurements used)."""

    def __init__(self, backbone: nn.Module, num_classes: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.fc_cls = nn.Linear(backbone.embed_dim, num_classes)

    def forward(self, x):
        return self.fc_cls(self.backbone.forward_features(x).mean(1))


def official_finetune_model(backbone: nn.Module, cfg: ToyConfig, num_classes: int) -> nn.Module:
    """The official fine-tuning layout: the student with mean pooling, a new ``fc_norm`` and
    ``head`` (init scale 0.001); the stage-1 ``norm`` is not loaded (``Identity`` there)."""
    model = MODELS.build(_student_cfg(cfg, use_mean_pooling=True, num_classes=num_classes))
    state = {k: v for k, v in backbone.state_dict().items() if not k.startswith('norm.')}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) - {'fc_norm.weight', 'fc_norm.bias', 'head.weight',
                                     'head.bias'}:
        raise RuntimeError(f'fine-tune model does not match the student: missing {missing}, '
                           f'unexpected {unexpected}')
    return model


def finetune_task(backbone: nn.Module, train, val, cfg: ToyConfig,
                  num_classes: int | None = None, single_frame: bool = False) -> float:
    """Fine-tune ``backbone`` + linear head on ``cfg.task``; returns val top-1 (%).

    ``single_frame``: train and test on the middle frame repeated (the one-frame baseline).
    """
    torch.manual_seed(cfg.seed + 2)
    num_classes = num_classes or TASKS[cfg.task].num_classes
    model = (official_finetune_model(backbone, cfg, num_classes) if cfg.ft_head == 'official'
             else _Classifier(backbone, num_classes))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.ft_lr, weight_decay=0.05)
    (x, y), (xv, yv) = train, val
    if single_frame:
        mid = x.shape[2] // 2
        x, xv = (v[:, :, mid:mid + 1].expand_as(v).contiguous() for v in (x, xv))
    gen = torch.Generator().manual_seed(cfg.seed + 3)
    if cfg.ft_iters > 0:  # random batches, as the runner configs
        batches = [torch.randint(0, x.shape[0], (cfg.ft_batch_size, ), generator=gen)
                   for _ in range(cfg.ft_iters)]
    else:
        batches = [idx for _ in range(cfg.finetune_epochs)
                   for idx in torch.randperm(x.shape[0], generator=gen).split(cfg.batch_size)]
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.ft_lr, total_steps=len(batches),
                                                pct_start=cfg.ft_pct_start)
    model.train()
    for idx in batches:
        loss = F.cross_entropy(model(x[idx]), y[idx], label_smoothing=cfg.label_smoothing)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(xv[i:i + 100]).argmax(-1) for i in range(0, xv.shape[0], 100)])
    return float((pred == yv).float().mean() * 100)


def run_experiment(cfg: ToyConfig | None = None, single_frame: bool = True) -> dict:
    """Teacher -> UMT stage 1 -> fine-tune, against scratch with the same fine-tuning.

    ``single_frame``: also fine-tune the UMT student on the middle frame alone (what one
    frame gives with the teacher's knowledge).
    """
    cfg = cfg or ToyConfig()
    t0 = time.time()
    unl, _, unl_clips = make_clips(cfg.n_unlabeled, 'train', cfg, task=None, seed=cfg.seed + 7)
    x, y, _ = make_clips(cfg.n_train, 'train', cfg, task=cfg.task, seed=cfg.seed)
    xv, yv, val_clips = make_clips(cfg.n_val, 'val', cfg, task=cfg.task, seed=cfg.seed)
    teacher = train_image_teacher(unl, _teacher_targets(unl_clips, cfg), cfg)
    t1 = time.time()
    umt = pretrain_umt(unl, teacher, cfg)
    t2 = time.time()
    out = dict(task=cfg.task, chance=100 / TASKS[cfg.task].num_classes)
    if single_frame:
        out['top1_umt_single_frame'] = finetune_task(copy.deepcopy(umt.backbone), (x, y),
                                                     (xv, yv), cfg, single_frame=True)
        if cfg.task == 'mover_shape':  # guessing among the shapes on screen
            out['single_frame_ceiling'] = 100 * float(np.mean([1 / len(c.objects)
                                                               for c in val_clips]))
    out['top1_umt'] = finetune_task(umt.backbone, (x, y), (xv, yv), cfg)
    torch.manual_seed(cfg.seed)
    scratch = MODELS.build(_student_cfg(cfg))
    out['top1_scratch'] = finetune_task(scratch, (x, y), (xv, yv), cfg)
    t3 = time.time()
    out.update(teacher_fit=teacher.train_f1, align_loss_first_epoch=umt.loss_history[0],
               align_loss_last_epoch=umt.loss_history[-1], seconds_teacher=t1 - t0,
               seconds_pretrain=t2 - t1, seconds_finetune=t3 - t2)
    return out


def main(argv: list[str] | None = None) -> None:
    """``teacher --out PATH`` trains and saves the synthetic image teacher (CLIPVisual keys);
    ``experiment`` runs :func:`run_experiment` and prints JSON."""
    import argparse
    import json
    import os
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('what', choices=['teacher', 'experiment'])
    parser.add_argument('--out', default='work_dirs/umt_synthetic/teacher.pth')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--p4', action='store_true',
                        help='the VideoMAE V2 synthetic regime (patch 4, flat background)')
    parser.add_argument('--semantic', action='store_true',
                        help="the 'mover_shape' setting (semantic_config)")
    parser.add_argument('--teacher-target', choices=['context', 'patch_color', 'patch_shape'],
                        default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    preset = semantic_config if args.semantic else p4_config if args.p4 else ToyConfig
    cfg = preset(seed=args.seed)
    if args.teacher_target:
        cfg.teacher_target = args.teacher_target
    if args.what == 'experiment':
        print(json.dumps(run_experiment(cfg), indent=1))
        return
    video, _, clips = make_clips(cfg.n_unlabeled, 'train', cfg, task=None, seed=cfg.seed + 7)
    teacher = train_image_teacher(video, _teacher_targets(clips, cfg), cfg)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.save({'state_dict': teacher.state_dict()}, args.out)
    print(f'teacher (train fit {teacher.train_f1:.1f}%) -> {args.out}')


if __name__ == '__main__':
    import mmvideofm  # noqa: F401  (compat shims)
    import projects.umt  # noqa: F401  (registers UMT types)
    main()
