"""VideoViT: the plain video ViT of VideoMAE, VideoMAE V2 and UMT (no class token).

Parameter names are the official ones (``patch_embed.proj``, ``blocks.i.attn.qkv`` +
``q_bias``/``v_bias``, ``blocks.i.mlp.fc1/fc2``, ``norm`` / ``fc_norm``, ``head``), so an
official fine-tuned checkpoint loads with ``strict=True`` after stripping its prefix.
"""
import math
from collections.abc import Sequence
from functools import partial
from typing import Any, Literal

import torch
import torch.utils.checkpoint as cp
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from torch import nn

from mmvideofm.models.layers import Block, PatchEmbed, build_sinusoid_pos_embed, resample_pos_embed
from mmvideofm.registry import MODELS

OutType = Literal['avg_featmap', 'raw', 'featmap']

# official constructor names (VideoMAE / UMT / mmaction2) -> ours
_ALIASES = {
    'all_frames': 'num_frames',
    'in_chans': 'in_channels',
    'embed_dims': 'embed_dim',
    'num_layers': 'depth',
    'use_checkpoint': 'with_cp',
    'checkpoint_num': 'with_cp_num',
    'fc_drop_rate': 'head_drop_rate',
    'return_feat_map': None,  # handled below
    'norm_layer': None,  # official partial(nn.LayerNorm, eps=1e-6): use norm_eps
}


@MODELS.register_module()
class VideoViT(BaseModule):
    """Video ViT with tubelet embedding and a fixed sinusoid (or learnable) position table.

    VideoMAE (https://arxiv.org/abs/2203.12602), VideoMAE V2 (https://arxiv.org/abs/2303.16727),
    UMT (https://arxiv.org/abs/2303.16058).

    ``forward(x, mask)``: ``x`` (B, C, T, H, W); ``mask`` optional bool (B, L), True = masked,
    only visible tokens enter the encoder (same count per sample). Output: logits when the
    in-model ``head`` exists (``num_classes > 0``), else by ``out_type``: ``'avg_featmap'`` ->
    (B, C) pooled feature, ``'raw'`` -> (B, L, C) tokens, ``'featmap'`` -> (B, C, T', H', W').

    Args:
        arch: Preset name in :attr:`arch_zoo` (``'s'``, ``'b'``, ``'l'``, ``'h'``, ``'g'``) or a
            dict with ``patch_size``, ``embed_dim``, ``depth``, ``num_heads``, ``mlp_ratio``;
            explicit arguments below override it.
        img_size: Construction frame size (int or (H, W)).
        patch_size / embed_dim / depth / num_heads / mlp_ratio: Sizes (None = from ``arch``).
        in_channels: Input channels.
        qkv_bias: q/v biases in attention (True in all official models).
        qk_scale: Attention logit scale override.
        drop_rate: Dropout after position embedding, attention proj and MLP.
        attn_drop_rate: Attention-probability dropout.
        drop_path_rate: Stochastic depth, linearly increasing over blocks.
        norm_eps: LayerNorm epsilon (1e-6 as official).
        init_values: Layer-scale init (``gamma_1``/``gamma_2``); 0 disables.
        num_frames: Construction frame count; with ``tubelet_size`` sets the token grid.
        tubelet_size: Temporal patch size (VideoMAE 2, UMT 1).
        use_learnable_pos_emb: Learnable Parameter ``pos_embed`` instead of the fixed table.
        pos_embed_base_thw: UMT fine-tune table: build the sinusoid for this grid (official
            (8, 14, 14), (8, 16, 16) for patch 14) and resample it to ours. As in UMT it is then
            a frozen Parameter ``pos_embed`` (so in the state dict) whenever the token count
            differs from the base grid's; otherwise a non-persistent buffer.
        use_mean_pooling: Mean-pool tokens then ``fc_norm`` (``norm`` is Identity); else
            ``norm`` on tokens and the pooled feature is the mean of normed tokens.
        num_classes: Size of the in-model ``head`` for official fine-tuned checkpoints;
            0 = no head (use an mmaction2 head).
        head_drop_rate: Dropout before ``head``.
        init_scale: Multiplier on the trunc-normal ``head`` init (official fine-tune 0.001).
        cos_attn: VideoMAE V2 cosine attention.
        with_cp: Activation checkpointing of blocks while training.
        with_cp_num: Checkpoint only the first N blocks (None = all).
        fused_attn: SDPA switch for every block (None = env default).
        out_type: Output when there is no in-model head.
        init_cfg: MMEngine init config (e.g. ``dict(type='Pretrained', checkpoint=...)``).

    Example (an mmaction2 recognizer, fine-tuned with layer-wise lr decay)::

        model = dict(
            type='Recognizer3D',
            backbone=dict(type='VideoViT', arch='b', img_size=224, num_frames=16,
                          tubelet_size=2, drop_path_rate=0.1),
            cls_head=dict(type='TimeSformerHead', num_classes=400, in_channels=768),
            # configs/_base_/models/imagenet_preprocessor.py = constants.IMAGENET_PREPROCESSOR
            data_preprocessor=_base_.imagenet_preprocessor)
        optim_wrapper = dict(
            optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.05),
            constructor='LayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=0.75))

    An official fine-tuned VideoMAE V2 / UMT state dict loads into ``VideoViT(...,
    num_classes=N)`` with ``strict=True`` as is (UMT: also ``pos_embed_base_thw=(8, 14, 14)``).
    """

    arch_zoo: dict[str, dict[str, Any]] = {
        **dict.fromkeys(['s', 'small'],
                        dict(patch_size=16, embed_dim=384, depth=12, num_heads=6, mlp_ratio=4.)),
        **dict.fromkeys(['b', 'base'],
                        dict(patch_size=16, embed_dim=768, depth=12, num_heads=12, mlp_ratio=4.)),
        **dict.fromkeys(['l', 'large'],
                        dict(patch_size=16, embed_dim=1024, depth=24, num_heads=16,
                             mlp_ratio=4.)),
        **dict.fromkeys(['h', 'huge'],
                        dict(patch_size=16, embed_dim=1280, depth=32, num_heads=16,
                             mlp_ratio=4.)),
        # VideoMAE V2 giant: MLP hidden int(1408 * 48 / 11) = 6144
        **dict.fromkeys(['g', 'giant'],
                        dict(patch_size=14, embed_dim=1408, depth=40, num_heads=16,
                             mlp_ratio=48 / 11)),
    }

    def __init__(self,
                 arch: str | dict = 'b',
                 img_size: int | Sequence[int] = 224,
                 patch_size: int | None = None,
                 in_channels: int = 3,
                 embed_dim: int | None = None,
                 depth: int | None = None,
                 num_heads: int | None = None,
                 mlp_ratio: float | None = None,
                 qkv_bias: bool = True,
                 qk_scale: float | None = None,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 norm_eps: float = 1e-6,
                 init_values: float = 0.,
                 num_frames: int = 16,
                 tubelet_size: int = 2,
                 use_learnable_pos_emb: bool = False,
                 pos_embed_base_thw: Sequence[int] | None = None,
                 use_mean_pooling: bool = True,
                 num_classes: int = 0,
                 head_drop_rate: float = 0.,
                 init_scale: float = 0.001,
                 cos_attn: bool = False,
                 with_cp: bool = False,
                 with_cp_num: int | None = None,
                 fused_attn: bool | None = None,
                 out_type: OutType = 'avg_featmap',
                 init_cfg: dict | list | None = None,
                 **kwargs) -> None:
        super().__init__(init_cfg=init_cfg)
        # accept the official constructor names
        given = dict(num_frames=num_frames, in_channels=in_channels, embed_dim=embed_dim,
                     depth=depth, with_cp=with_cp, with_cp_num=with_cp_num,
                     head_drop_rate=head_drop_rate)
        for key, value in kwargs.items():
            if key not in _ALIASES:
                raise TypeError(f'VideoViT got an unexpected argument {key!r}')
            if key == 'return_feat_map':
                out_type = 'featmap' if value else out_type
            elif key == 'norm_layer':
                eps = getattr(value, 'keywords', {}).get('eps') if value is not None else None
                norm_eps = eps if eps is not None else norm_eps
            else:
                given[_ALIASES[key]] = value
        (num_frames, in_channels, embed_dim, depth, with_cp, with_cp_num,
         head_drop_rate) = given.values()

        if isinstance(arch, str):
            if arch.lower() not in self.arch_zoo:
                raise ValueError(f'Unknown VideoViT arch {arch!r}; choose from '
                                 f'{sorted(self.arch_zoo)} or pass a dict')
            arch_cfg = dict(self.arch_zoo[arch.lower()])
        else:
            arch_cfg = dict(arch)
        for key, value in dict(patch_size=patch_size, embed_dim=embed_dim, depth=depth,
                               num_heads=num_heads, mlp_ratio=mlp_ratio).items():
            if value is not None:
                arch_cfg[key] = value
        missing = {'patch_size', 'embed_dim', 'depth', 'num_heads', 'mlp_ratio'} - set(arch_cfg)
        if missing:
            raise ValueError(f'VideoViT arch is missing {sorted(missing)}')
        if out_type not in ('avg_featmap', 'raw', 'featmap'):
            raise ValueError(f"out_type must be 'avg_featmap', 'raw' or 'featmap', got "
                             f'{out_type!r}')

        self.embed_dim = self.num_features = int(arch_cfg['embed_dim'])
        self.depth = self.num_layers = int(arch_cfg['depth'])
        self.num_heads = int(arch_cfg['num_heads'])
        self.mlp_ratio = float(arch_cfg['mlp_ratio'])
        self.patch_size = int(arch_cfg['patch_size'])
        self.num_frames = int(num_frames)
        self.tubelet_size = int(tubelet_size)
        self.num_classes = int(num_classes)
        self.out_type = out_type
        self.use_mean_pooling = use_mean_pooling
        self.with_cp = bool(with_cp)
        self.with_cp_num = with_cp_num
        self.cos_attn = cos_attn
        self.use_learnable_pos_emb = use_learnable_pos_emb
        norm_layer = partial(nn.LayerNorm, eps=norm_eps)

        self.patch_embed = PatchEmbed(
            img_size=img_size, patch_size=self.patch_size, in_channels=in_channels,
            embed_dim=self.embed_dim, num_frames=self.num_frames, tubelet_size=self.tubelet_size)
        self.grid_size = self.patch_embed.grid_size  # (T', H', W')
        num_patches = self.patch_embed.num_patches

        if use_learnable_pos_emb:
            self.pos_embed = nn.Parameter(torch.zeros(1, num_patches, self.embed_dim))
            trunc_normal_(self.pos_embed, std=.02)
        else:
            table = build_sinusoid_pos_embed(self.grid_size, self.embed_dim, pos_embed_base_thw)
            if pos_embed_base_thw is not None and math.prod(pos_embed_base_thw) != num_patches:
                # UMT: the resampled table is a (frozen) Parameter stored in checkpoints
                self.pos_embed = nn.Parameter(table, requires_grad=False)
            else:
                self.register_buffer('pos_embed', table, persistent=False)
        self._resample_logged: set[tuple[int, int, int]] = set()
        self.pos_drop = nn.Dropout(p=drop_rate) if drop_rate > 0 else nn.Identity()

        # stochastic depth decay rule (python floats: also works under torch.device('meta'))
        dpr = [drop_path_rate * i / max(self.depth - 1, 1) for i in range(self.depth)]
        self.blocks = nn.ModuleList([
            Block(dim=self.embed_dim, num_heads=self.num_heads, mlp_ratio=self.mlp_ratio,
                  qkv_bias=qkv_bias, qk_scale=qk_scale, drop=drop_rate, attn_drop=attn_drop_rate,
                  drop_path=dpr[i], init_values=init_values, norm_layer=norm_layer,
                  cos_attn=cos_attn, fused_attn=fused_attn) for i in range(self.depth)
        ])
        self.norm = nn.Identity() if use_mean_pooling else norm_layer(self.embed_dim)
        self.fc_norm = norm_layer(self.embed_dim) if use_mean_pooling else nn.Identity()
        self.head_dropout = nn.Dropout(head_drop_rate) if head_drop_rate > 0 else nn.Identity()
        self.head = (nn.Linear(self.embed_dim, self.num_classes)
                     if self.num_classes > 0 else nn.Identity())

        self.apply(self._init_weights)
        if self.num_classes > 0:
            self.head.weight.data.mul_(init_scale)
            self.head.bias.data.mul_(init_scale)
        self._register_load_state_dict_pre_hook(self._prepare_pos_embed)

    @staticmethod
    def _init_weights(m: nn.Module) -> None:
        """Official VideoMAE / UMT init: trunc-normal(.02) Linear, zero bias, unit LayerNorm."""
        if isinstance(m, nn.Linear):
            trunc_normal_(m.weight, std=.02)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.LayerNorm):
            nn.init.constant_(m.bias, 0)
            nn.init.constant_(m.weight, 1.0)

    # ------------------------------------------------------------------ pos embed
    def _pos_embed_for(self, grid: tuple[int, int, int]) -> torch.Tensor:
        """Position table for a token grid, resampled at runtime if it differs."""
        if grid == tuple(self.grid_size):
            return self.pos_embed
        verbose = grid not in self._resample_logged
        self._resample_logged.add(grid)
        return resample_pos_embed(self.pos_embed, self.grid_size, grid, verbose=verbose)

    def _infer_grid(self, num_tokens: int) -> tuple[int, int, int]:
        """Guess the (T, H, W) grid of a checkpoint table: same space or same time as ours."""
        t, h, w = self.grid_size
        if num_tokens % (h * w) == 0:
            return (num_tokens // (h * w), h, w)
        side = math.isqrt(num_tokens // t) if num_tokens % t == 0 else 0
        if side * side * t == num_tokens:
            return (t, side, side)
        raise ValueError(f'Cannot infer the token grid of a pos_embed with {num_tokens} '
                         f'tokens for a model with grid {tuple(self.grid_size)}')

    def _prepare_pos_embed(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        """Load hook: resample a checkpoint ``pos_embed`` of another grid; a checkpoint table
        for a model whose table is a non-persistent buffer is copied into the buffer."""
        key = prefix + 'pos_embed'
        if key not in state_dict:
            return
        ckpt = state_dict[key]
        if ckpt.ndim == 2:
            ckpt = ckpt.unsqueeze(0)
        if ckpt.shape[1] != self.pos_embed.shape[1]:
            old = self._infer_grid(ckpt.shape[1])
            print_log(f'{key}: checkpoint grid {old} -> model grid {tuple(self.grid_size)}',
                      logger='current')
            ckpt = resample_pos_embed(ckpt, old, self.grid_size)
        if 'pos_embed' in self._buffers and 'pos_embed' in self._non_persistent_buffers_set:
            self.pos_embed.copy_(ckpt.to(self.pos_embed))
            del state_dict[key]
            print_log(f'{key}: using the checkpoint table instead of the fixed sinusoid',
                      logger='current')
        else:
            state_dict[key] = ckpt

    # ------------------------------------------------------------------ forward
    def _run_block(self, idx: int, blk: nn.Module, x: torch.Tensor) -> torch.Tensor:
        use_cp = (self.with_cp and torch.is_grad_enabled()
                  and (self.with_cp_num is None or idx < self.with_cp_num))
        if use_cp:
            return cp.checkpoint(blk, x, use_reentrant=False)
        return blk(x)

    def forward_intermediates(self,
                              x: torch.Tensor,
                              mask: torch.Tensor | None = None,
                              indices: Sequence[int] | None = None
                              ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Tokens after ``norm`` and the outputs of blocks ``indices`` (pre-norm, all if None).

        Args:
            x: Video (B, C, T, H, W).
            mask: Optional bool (B, L), True = masked; only visible tokens are encoded.
        Returns:
            ``(tokens (B, L_vis, C), [block outputs (B, L_vis, C), ...])``.
        """
        grid = self.patch_embed.grid_for(*x.shape[2:])
        x = self.patch_embed(x)  # (B, L, C)
        pos = self._pos_embed_for(grid)
        if not self.use_learnable_pos_emb:
            pos = pos.detach()
        x = self.pos_drop(x + pos.to(dtype=x.dtype))
        if mask is not None:
            x = self.gather_visible(x, mask)  # (B, L_vis, C)
        keep = set(range(self.depth)) if indices is None else {
            i % self.depth for i in indices}
        hidden = []
        for idx, blk in enumerate(self.blocks):
            x = self._run_block(idx, blk, x)
            if idx in keep:
                hidden.append(x)
        return self.norm(x), hidden

    @staticmethod
    def gather_visible(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Keep the visible tokens of ``x`` (B, L, C) for a bool mask (B, L), raster order."""
        if mask.dtype != torch.bool or mask.shape != x.shape[:2]:
            raise ValueError(f'mask must be bool of shape {tuple(x.shape[:2])}, got '
                             f'{mask.dtype} {tuple(mask.shape)}')
        num_vis = (~mask).sum(1)
        if bool((num_vis != num_vis[0]).any()):
            raise ValueError(f'every sample must have the same number of visible tokens, got '
                             f'{num_vis.tolist()}')
        return x[~mask].reshape(x.shape[0], -1, x.shape[-1])

    def forward_features(self, x: torch.Tensor, mask: torch.Tensor | None = None
                         ) -> torch.Tensor:
        """Video (B, C, T, H, W) -> tokens after the final ``norm``, (B, L_vis, C)."""
        return self.forward_intermediates(x, mask, indices=[])[0]

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Tokens (B, L, C) -> mean pool -> ``fc_norm`` (-> ``head_dropout`` -> ``head``)."""
        x = self.fc_norm(x.mean(1))  # (B, C)
        if pre_logits:
            return x
        return self.head(self.head_dropout(x))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        grid = self.patch_embed.grid_for(*x.shape[2:])
        feats = self.forward_features(x, mask)  # (B, L_vis, C)
        if self.num_classes > 0:
            return self.forward_head(feats)  # (B, num_classes)
        if self.out_type == 'raw':
            return feats
        if self.out_type == 'featmap':
            if mask is not None:
                raise ValueError("out_type='featmap' needs every token; got a mask")
            return feats.transpose(1, 2).reshape(x.shape[0], -1, *grid)  # (B, C, T', H', W')
        return self.forward_head(feats, pre_logits=True)  # (B, C)

    # ------------------------------------------------------------------ optimizer hints
    def no_weight_decay(self) -> set[str]:
        """Parameter names excluded from weight decay (besides 1-D params and biases)."""
        names = {'pos_embed', 'cls_token', 'mask_token'}
        for i, blk in enumerate(self.blocks):
            if isinstance(blk.attn.scale, nn.Parameter):
                names.add(f'blocks.{i}.attn.scale')
        return names

    def get_layer_depth(self, param_name: str, prefix: str = '') -> tuple[int, int]:
        """Layer id for layer-wise lr decay and the number of layers (``depth + 2``).

        ``patch_embed`` / ``pos_embed`` = 0, ``blocks.i`` = i + 1, everything else (norms,
        head, and names outside ``prefix``) = depth + 1, as in the official optim factories.
        """
        num_layers = self.depth + 2
        if not param_name.startswith(prefix):
            return num_layers - 1, num_layers
        name = param_name[len(prefix):]
        if name in ('pos_embed', 'cls_token', 'mask_token') or name.startswith('patch_embed'):
            return 0, num_layers
        if name.startswith('blocks.'):
            return int(name.split('.')[1]) + 1, num_layers
        return num_layers - 1, num_layers

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Toggle activation checkpointing of the blocks."""
        self.with_cp = enable

    def get_classifier(self) -> nn.Module:
        return self.head

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the in-model head (0 removes it)."""
        self.num_classes = num_classes
        self.head = nn.Linear(self.embed_dim, num_classes) if num_classes > 0 else nn.Identity()
