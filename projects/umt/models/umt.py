"""UMT stage 1: unmasked teacher alignment (https://arxiv.org/abs/2303.16058).

``UMT.loss`` reads like the paper's figure: the frozen image teacher encodes every frame ->
semantic masking keeps the tokens its [CLS] attends to -> the student encodes only those ->
per-layer heads map the last K student layers to the teacher space -> ``2 - 2 cos`` on the
unmasked tokens.
"""
from __future__ import annotations

import torch

from mmvideofm.constants import IMAGENET_PREPROCESSOR
from mmvideofm.models.algorithms import BaseVideoAlgorithm
from mmvideofm.models.heads.align_head import AlignHead, ClipDecoder
from mmvideofm.models.layers import get_sinusoid_encoding_table, semantic_masking
from mmvideofm.models.utils import as_clip_batch, check_ratio
from mmvideofm.registry import MODELS

# ClipDecoder (the official Linear_Decoder) lives in mmvideofm.models.heads; re-exported
__all__ = ['UMT', 'ClipDecoder']


@MODELS.register_module()
class UMT(BaseVideoAlgorithm):
    """UMT stage-1 pretraining: align the student's unmasked tokens to a frozen teacher.

    Args:
        backbone: Student config, a :class:`UMTViT` with ``use_mean_pooling=False`` (so its
            ``norm`` is the encoder norm) and ``pos_embed_base_thw=None``.
        teacher: Frozen image teacher returning ``(feats (K, B, T*HW, C), attn (B*T, HW))``,
            e.g. ``CLIPVisual``; its token grid must equal the student's spatial grid. Kept in
            the base's teacher slot (frozen, eval, not saved unless ``save_teacher``).
        clip_return_layer: K, the number of aligned layers (6 in UMT).
        clip_student_return_interval: Stride between aligned student blocks.
        mask_ratio: Fraction of tokens masked per frame (0.8 for video, 0.5 for images).
        loss: Alignment loss config (``AlignLoss``, ``2 - 2 cos``).
        seed: Seed of the masking generator (plus the rank; ``None``: the runner's seed).
        mask_seed: Former name of ``seed``.
        save_teacher: Keep ``teacher.*`` in saved checkpoints.
        data_preprocessor: mmaction2 ``ActionDataPreprocessor``; ImageNet statistics by
            default.
    """

    default_data_preprocessor = IMAGENET_PREPROCESSOR

    def __init__(self,
                 backbone: dict,
                 teacher: dict,
                 clip_return_layer: int = 6,
                 clip_student_return_interval: int = 1,
                 mask_ratio: float = 0.8,
                 loss: dict | None = None,
                 seed: int | None = None,
                 mask_seed: int | None = None,
                 save_teacher: bool = False,
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, teacher=teacher,
                         save_teacher=save_teacher,
                         seed=seed if mask_seed is None else mask_seed, init_cfg=init_cfg)
        self.mask_ratio = check_ratio(mask_ratio, 'mask_ratio')
        self.backbone = MODELS.build(backbone)
        depth = self.backbone.depth
        if not 1 <= clip_return_layer <= depth:
            raise ValueError(f'clip_return_layer must be in [1, {depth}], got '
                             f'{clip_return_layer}')
        self.return_index = sorted(depth - 1 - int(i * clip_student_return_interval)
                                   for i in range(clip_return_layer))
        teacher_k = len(getattr(self.teacher, 'return_index', [None] * clip_return_layer))
        if teacher_k != clip_return_layer:
            raise ValueError(f'teacher returns {teacher_k} layers, student aligns '
                             f'{clip_return_layer}')
        embed_dim = self.backbone.embed_dim
        self.clip_decoder = AlignHead(clip_return_layer, embed_dim, self.teacher.output_dim)
        self.register_buffer('clip_pos_embed',
                             get_sinusoid_encoding_table(self.backbone.patch_embed.num_patches,
                                                         embed_dim), persistent=False)
        self.loss_module = MODELS.build(loss or dict(type='AlignLoss'))
        self._check_grids()

    def _check_grids(self) -> None:
        _, h, w = self.backbone.grid_size
        g = getattr(self.teacher, 'grid_size', h)
        if (g, g) != (h, w):
            raise ValueError(f'teacher token grid {g}x{g} != student grid {h}x{w}; set the '
                             f'teacher input_resolution to {h} * its patch size (UMT-L: CLIP '
                             f'L/14 at 196 px for a 14x14 student grid)')

    # ------------------------------------------------------------------ pieces
    @torch.no_grad()
    def encode_teacher(self, video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher features and the semantic mask.

        Returns:
            ``targets`` ``(K, B, N_vis, C_t)`` at the student-visible tokens and ``mask``
            ``(B, T*HW)`` bool, True = masked.
        """
        feats, attn = self.teacher(video)  # (K, B, T*HW, C_t), (B*T, HW)
        if attn is None:
            raise ValueError('UMT needs the teacher attention (return_attn=True)')
        num_frames = feats.shape[2] // attn.shape[1]
        mask = semantic_masking(attn.float(), self.mask_ratio, self.generator(attn.device),
                                num_frames=num_frames)
        return self.gather_targets(feats, mask), mask

    @staticmethod
    def gather_targets(feats: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Teacher tokens ``(K, B, N, C)`` at visible positions -> ``(K, B, N_vis, C)``."""
        K, B, _, C = feats.shape
        return feats[:, ~mask].reshape(K, B, -1, C)

    def forward_student(self, video: torch.Tensor, mask: torch.Tensor | None
                        ) -> tuple[torch.Tensor, torch.Tensor]:
        """Student on visible tokens: ``(tokens (B, N_vis, C), x_clip (K, B, N_vis, C_t))``."""
        tokens, hidden = self.backbone.forward_intermediates(video, mask, self.return_index)
        x_clip = self.backbone.norm(torch.stack(hidden))  # (K, B, N_vis, C)
        pos = self.clip_pos_embed.to(x_clip.dtype).expand(video.shape[0], -1, -1)
        if pos.shape[1] != (mask.shape[1] if mask is not None else tokens.shape[1]):
            raise ValueError(f'clip_pos_embed has {pos.shape[1]} positions but the input has '
                             f'{mask.shape[1] if mask is not None else tokens.shape[1]} tokens; '
                             f'UMT pretraining runs at the construction frames/resolution')
        if mask is not None:
            pos = pos[~mask].reshape(video.shape[0], -1, pos.shape[-1])
        x_clip = x_clip + pos
        x_clip = self.clip_decoder(x_clip)  # (K, B, N_vis, C_t)
        return tokens, x_clip

    # ------------------------------------------------------------------ API
    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Student tokens of the full video ``(B, T*HW, C)`` (no masking)."""
        return self.backbone.forward_features(as_clip_batch(inputs))

    def loss(self, inputs: torch.Tensor, data_samples: list | None = None
             ) -> dict[str, torch.Tensor]:
        video = as_clip_batch(inputs)
        targets, mask = self.encode_teacher(video)  # teacher -> semantic mask
        _, x_clip = self.forward_student(video, mask)  # student on unmasked tokens
        return dict(loss_align=self.loss_module(x_clip, targets))
