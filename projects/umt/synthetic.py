"""UMT on the synthetic world: image teacher -> stage 1 -> fine-tune vs scratch.

The paper's claim at toy scale: a student aligned to an *image* teacher (trained on single
frames, so it knows what is where but nothing about motion) fine-tunes better on a task one
frame cannot solve ('direction') than the same student trained from scratch with the same
fine-tuning budget. Everything is in-memory and CPU-sized; ``run_experiment`` returns the
measured numbers (used by the test and the README).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mmvideofm.datasets.synthetic import COLORS, SHAPES, SyntheticWorld, WorldConfig
from mmvideofm.registry import MODELS

__all__ = ['ToyConfig', 'make_clips', 'frame_patch_labels', 'train_image_teacher',
           'pretrain_umt', 'finetune_direction', 'run_experiment']

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
    n_unlabeled: int = 600
    n_train: int = 240
    n_val: int = 300
    teacher_steps: int = 150
    pretrain_epochs: int = 4
    finetune_epochs: int = 8
    batch_size: int = 24
    seed: int = 0
    max_objects: int = 2
    motion: tuple = (0.6, 0.8)


def make_clips(n: int, split: str, cfg: ToyConfig, task: str = 'direction', seed: int = 0):
    """``(video (n, 3, T, H, W) normalised, labels (n,), clips)`` from the synthetic world."""
    world = SyntheticWorld(WorldConfig(num_frames=cfg.num_frames, size=cfg.size,
                                       max_objects=cfg.max_objects, motion=cfg.motion),
                           seed=seed, split=split)
    clips = [world.sample(i, task) for i in range(n)]
    frames = torch.from_numpy(np.stack([c.frames[::cfg.frame_stride] for c in clips]))
    # frames: (n, T, H, W, 3) uint8
    video = frames.permute(0, 4, 1, 2, 3).float() / 255.
    video = (video - MEAN) / STD
    labels = torch.tensor([c.labels[task] if task else -1 for c in clips])
    return video, labels, clips


def frame_patch_labels(clips, cfg: ToyConfig) -> torch.Tensor:
    """Per frame and patch: 1 + colour * len(SHAPES) + shape of the object covering most of
    the patch (0 = background). Shape ``(n, T, G*G)``; the image teacher's training target."""
    g = cfg.size // cfg.patch
    colors = list(COLORS)
    ts = list(range(0, cfg.num_frames, cfg.frame_stride))
    out = torch.zeros(len(clips), len(ts), g * g, dtype=torch.long)
    cells = np.arange(g) * cfg.patch
    for i, clip in enumerate(clips):
        for j, t in enumerate(ts):
            best = np.zeros((g, g))
            for obj in clip.objects:
                if not obj.visible[t]:
                    continue
                x0, y0, x1, y1 = obj.boxes[t]
                ox = np.clip(np.minimum(cells + cfg.patch, x1) - np.maximum(cells, x0), 0, None)
                oy = np.clip(np.minimum(cells + cfg.patch, y1) - np.maximum(cells, y0), 0, None)
                area = oy[:, None] * ox[None, :]  # (gy, gx)
                cls = 1 + colors.index(obj.colors[t]) * len(SHAPES) + SHAPES.index(obj.shape)
                win = area > np.maximum(best, 0.15 * cfg.patch**2)
                best = np.where(win, area, best)
                out[i, j].view(g, g)[torch.from_numpy(win)] = cls
    return out


def _teacher_cfg(cfg: ToyConfig) -> dict:
    return dict(type='CLIPVisual', arch=None, input_resolution=cfg.size, patch_size=cfg.patch,
                width=cfg.width, layers=cfg.depth, heads=cfg.heads, output_dim=cfg.teacher_dim,
                return_layers=cfg.align_layers, frozen=False)


def _student_cfg(cfg: ToyConfig) -> dict:
    return dict(type='UMTViT', arch=dict(patch_size=cfg.patch, embed_dim=cfg.width,
                                         depth=cfg.depth, num_heads=cfg.heads, mlp_ratio=4.),
                img_size=cfg.size, num_frames=cfg.num_frames // cfg.frame_stride,
                pos_embed_base_thw=None,
                use_mean_pooling=False)


def train_image_teacher(video: torch.Tensor, patch_labels: torch.Tensor, cfg: ToyConfig):
    """Train a tiny CLIP-style visual tower on single frames (dense patch semantics).

    Returns the frozen teacher (its state dict plugs into ``UMT(teacher=...)``).
    """
    gen = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    teacher = MODELS.build(_teacher_cfg(cfg))
    n_cls = 1 + len(COLORS) * len(SHAPES)
    probe = nn.Linear(cfg.teacher_dim, n_cls)
    params = list(teacher.parameters()) + list(probe.parameters())
    opt = torch.optim.AdamW(params, lr=2e-3, weight_decay=0.05)
    frames = video.transpose(1, 2).flatten(0, 1)  # (n*T, 3, H, W)
    targets = patch_labels.flatten(0, 1)  # (n*T, G*G)
    teacher.train()
    for _ in range(cfg.teacher_steps):
        idx = torch.randint(0, frames.shape[0], (64, ), generator=gen)
        feats, _ = teacher(frames[idx].unsqueeze(2))  # (K, 64, G*G, C), single frames
        logits = probe(feats[-1]) * 10.  # unit-norm features: a fixed logit scale
        loss = F.cross_entropy(logits.flatten(0, 1), targets[idx].flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
    teacher.frozen = True
    teacher.requires_grad_(False)
    teacher.eval()
    with torch.no_grad():  # patch accuracy on object patches (training frames)
        feats, _ = teacher(frames[:256].unsqueeze(2))
        pred = (probe(feats[-1]) * 10.).argmax(-1)
        fg = targets[:256] > 0
        teacher.patch_acc = float((pred[fg] == targets[:256][fg]).float().mean() * 100)
    return teacher


def pretrain_umt(video: torch.Tensor, teacher: nn.Module, cfg: ToyConfig) -> nn.Module:
    """UMT stage 1 on unlabeled clips; returns the student backbone."""
    torch.manual_seed(cfg.seed)
    model = MODELS.build(dict(type='UMT', backbone=_student_cfg(cfg),
                              teacher=_teacher_cfg(cfg), clip_return_layer=cfg.align_layers,
                              mask_ratio=cfg.mask_ratio, mask_seed=cfg.seed))
    model.teacher.load_state_dict(teacher.state_dict())
    model.teacher.frozen = True
    model.teacher.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1.5e-3, betas=(0.9, 0.95), weight_decay=0.05)
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    model.train()
    for _ in range(cfg.pretrain_epochs):
        for idx in torch.randperm(video.shape[0], generator=gen).split(cfg.batch_size):
            loss = model.loss(video[idx])['loss_align']
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.backbone


class _Classifier(nn.Module):
    def __init__(self, backbone: nn.Module, num_classes: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.fc_cls = nn.Linear(backbone.embed_dim, num_classes)

    def forward(self, x):
        return self.fc_cls(self.backbone.forward_features(x).mean(1))


def finetune_direction(backbone: nn.Module, train, val, cfg: ToyConfig,
                       num_classes: int = 9) -> float:
    """Fine-tune ``backbone`` + linear head on 'direction'; returns val top-1 (%)."""
    torch.manual_seed(cfg.seed + 2)
    model = _Classifier(backbone, num_classes)
    opt = torch.optim.AdamW(model.parameters(), lr=FT_LR, weight_decay=0.05)
    (x, y), (xv, yv) = train, val
    gen = torch.Generator().manual_seed(cfg.seed + 3)
    steps = cfg.finetune_epochs * ((x.shape[0] + cfg.batch_size - 1) // cfg.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=FT_LR, total_steps=steps,
                                                pct_start=0.15)
    model.train()
    for _ in range(cfg.finetune_epochs):
        for idx in torch.randperm(x.shape[0], generator=gen).split(cfg.batch_size):
            loss = F.cross_entropy(model(x[idx]), y[idx], label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(xv[i:i + 100]).argmax(-1) for i in range(0, xv.shape[0], 100)])
    return float((pred == yv).float().mean() * 100)


def run_experiment(cfg: ToyConfig | None = None) -> dict:
    """Teacher -> UMT stage 1 -> fine-tune, against scratch with the same fine-tuning."""
    cfg = cfg or ToyConfig()
    t0 = time.time()
    unl, _, unl_clips = make_clips(cfg.n_unlabeled, 'train', cfg, task=None, seed=cfg.seed + 7)
    x, y, _ = make_clips(cfg.n_train, 'train', cfg, seed=cfg.seed)
    xv, yv, _ = make_clips(cfg.n_val, 'val', cfg, seed=cfg.seed)
    teacher = train_image_teacher(unl, frame_patch_labels(unl_clips, cfg), cfg)
    t1 = time.time()
    student = pretrain_umt(unl, teacher, cfg)
    t2 = time.time()
    acc_umt = finetune_direction(student, (x, y), (xv, yv), cfg)
    torch.manual_seed(cfg.seed)
    scratch = MODELS.build(_student_cfg(cfg))
    acc_scratch = finetune_direction(scratch, (x, y), (xv, yv), cfg)
    t3 = time.time()
    return dict(top1_umt=acc_umt, top1_scratch=acc_scratch, chance=100 / 9,
                seconds_teacher=t1 - t0, seconds_pretrain=t2 - t1, seconds_finetune=t3 - t2)
