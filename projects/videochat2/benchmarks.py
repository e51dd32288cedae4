"""VideoChat2 benchmark for ``tools/benchmark.py``: the vision + Q-Former part (UMT-L ->
``vision_layernorm`` -> instruction-aware Q-Former, 32 + 64 queries) side by side with the
official definition.

    .venv/bin/python tools/benchmark.py videochat2/vision_qformer [--arch l|t] [--frames 16]
        [--img-size 224] [--batch-size 1] [--iters 3] [--official-root DIR]

``--official-root``: a checkout of OpenGVLab/Ask-Anything kept outside this repository; its
``video_chat2/models/blip2/{vit,Qformer}.py`` are imported in-process (a small shim gives
their transformers-4 imports to transformers 5: ``PreTrainedModel`` is replaced by a plain
module with the three helpers the Q-Former calls), loaded with our weights, checked equal and
timed interleaved (median seconds; ratio = official / ours, > 1: ours is faster).
"""
from __future__ import annotations

import argparse
import os.path as osp
import types

import torch
from torch import nn

from mmvideofm.engine.benchmark import (
    device_sync,
    load_official_module,
    register_benchmark,
    time_interleaved,
)
from mmvideofm.registry import MODELS

BERT_BASE = dict(vocab_size=30523, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                 intermediate_size=3072, max_position_embeddings=512, layer_norm_eps=1e-12)
SIZES = {'l': dict(vit=dict(embed_dim=1024, depth=24, num_heads=16), bert=BERT_BASE,
                   queries=(32, 64)),
         't': dict(vit=dict(embed_dim=64, depth=3, num_heads=4),
                   bert=dict(BERT_BASE, hidden_size=64, num_hidden_layers=2,
                             num_attention_heads=4, intermediate_size=128), queries=(8, 8))}


class VisionQFormer(nn.Module):
    """Ours: ``VideoChat2ViT`` -> LayerNorm(1e-12) -> core ``QFormer`` (instruction input)."""

    def __init__(self, arch: str, frames: int, img_size: int) -> None:
        super().__init__()
        s = SIZES[arch]
        self.vision_encoder = MODELS.build(dict(
            type='VideoChat2ViT', arch=dict(patch_size=16, mlp_ratio=4., **s['vit']),
            encoder_depth=s['vit']['depth'], img_size=img_size, num_frames=4))
        width = self.vision_encoder.embed_dim
        self.vision_layernorm = nn.LayerNorm(width, eps=1e-12)
        self.qformer = MODELS.build(dict(type='QFormer', bert_config=s['bert'],
                                         encoder_width=width, num_query_tokens=s['queries'][0],
                                         num_extra_query_tokens=s['queries'][1]))

    def forward(self, video: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor):
        tokens = self.vision_layernorm(self.vision_encoder(video))
        return self.qformer.encode_queries(tokens, ids, mask)


def _official_modules(root: str):
    """``(vit, Qformer)`` modules of the official checkout, imported under the shim."""
    import transformers.pytorch_utils as pu
    import transformers.utils as tu

    class PreTrainedModel(nn.Module):
        def __init__(self, config, *args, **kwargs) -> None:
            super().__init__()
            self.config = config

        def init_weights(self) -> None:
            self.apply(self._init_weights)

        @property
        def dtype(self) -> torch.dtype:
            return next(self.parameters()).dtype

        def invert_attention_mask(self, mask: torch.Tensor) -> torch.Tensor:
            ext = mask[:, None, None, :].to(self.dtype)
            return (1.0 - ext) * torch.finfo(self.dtype).min

        def get_head_mask(self, head_mask, num_layers, is_attention_chunked=False):
            return [None] * num_layers

    utils = types.ModuleType('transformers.modeling_utils')
    utils.PreTrainedModel = PreTrainedModel
    utils.apply_chunking_to_forward = pu.apply_chunking_to_forward
    utils.prune_linear_layer = pu.prune_linear_layer
    utils.find_pruneable_heads_and_indices = None  # only used by prune_heads
    file_utils = types.ModuleType('transformers.file_utils')
    file_utils.ModelOutput = tu.ModelOutput
    pkg = osp.join(root, 'video_chat2', 'models', 'blip2')
    stubs = {'transformers.modeling_utils': utils, 'transformers.file_utils': file_utils}
    return (load_official_module(pkg, 'vit'),
            load_official_module(pkg, 'Qformer', stubs=stubs))


class OfficialVisionQFormer(nn.Module):
    """The official ``encode_img`` up to the Q-Former (``VideoChat2_it_vicuna``)."""

    def __init__(self, root: str, arch: str, frames: int, img_size: int) -> None:
        super().__init__()
        from transformers import BertConfig
        vit_mod, qf_mod = _official_modules(root)
        s = SIZES[arch]
        ve = types.SimpleNamespace(
            img_size=img_size, patch_size=16, encoder_embed_dim=s['vit']['embed_dim'],
            encoder_depth=s['vit']['depth'], encoder_num_heads=s['vit']['num_heads'],
            drop_path_rate=0., num_frames=4, tubelet_size=1, use_checkpoint=False,
            checkpoint_num=0, pretrained='', get=lambda k, d=None: {'return_index': -2}.get(k, d))
        self.vision_encoder = vit_mod.build_vit(types.SimpleNamespace(vision_encoder=ve))
        # the notebook's 4 -> T regeneration of the table
        self.vision_encoder.encoder.pos_embed = vit_mod.get_sinusoid_encoding_table2(
            (img_size // 16) ** 2 * frames, s['vit']['embed_dim'], cur_frame=frames)
        width = s['vit']['embed_dim']
        self.vision_layernorm = nn.LayerNorm(width, eps=1e-12)
        cfg = BertConfig(**s['bert'])
        cfg.encoder_width, cfg.add_cross_attention, cfg.cross_attention_freq = width, True, 2
        cfg.query_length = s['queries'][0]
        cfg.drop_path_list = [0.0] * cfg.num_hidden_layers
        self.qformer = qf_mod.BertLMHeadModel(cfg)
        self.qformer.cls = None
        self.query_tokens = nn.Parameter(torch.zeros(1, s['queries'][0], cfg.hidden_size))
        self.extra_query_tokens = nn.Parameter(torch.zeros(1, s['queries'][1], cfg.hidden_size))

    def forward(self, video: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor):
        emb = self.vision_encoder(video, video.shape[2] == 1)
        emb = self.vision_layernorm(emb.reshape(emb.shape[0], -1, emb.shape[-1]))
        query = torch.cat([self.query_tokens, self.extra_query_tokens], 1).expand(
            emb.shape[0], -1, -1)
        atts = torch.cat([torch.ones(query.shape[:2], dtype=torch.long), mask], 1)
        out = self.qformer.bert(ids, attention_mask=atts, query_embeds=query,
                                encoder_hidden_states=emb,
                                encoder_attention_mask=torch.ones(emb.shape[:2],
                                                                  dtype=torch.long),
                                return_dict=True).last_hidden_state
        return out[:, :query.shape[1]]

    def load_ours(self, ours: VisionQFormer) -> None:
        sd = {}
        for key, value in ours.state_dict().items():
            if key.startswith('vision_encoder.'):
                key = 'vision_encoder.encoder.' + key[len('vision_encoder.'):]
            elif key.startswith('qformer.') and 'query_tokens' in key:
                key = key[len('qformer.'):]
            sd[key] = value
        missing, unexpected = self.load_state_dict(sd, strict=False)
        if unexpected or [k for k in missing if 'cls.' not in k]:
            raise RuntimeError(f'official layout mismatch: {missing[:5]} {unexpected[:5]}')


@register_benchmark('videochat2/vision_qformer')
def vision_qformer(argv: list[str]) -> dict:
    """fp32 inference of the vision + Q-Former part; with ``--official-root`` side by side."""
    p = argparse.ArgumentParser(prog='benchmark.py videochat2/vision_qformer')
    p.add_argument('--arch', default='l', choices=sorted(SIZES))
    p.add_argument('--frames', type=int, default=16)
    p.add_argument('--img-size', type=int, default=224)
    p.add_argument('--batch-size', type=int, default=1)
    p.add_argument('--iters', type=int, default=3)
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--official-root', default=None)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ours = VisionQFormer(args.arch, args.frames, args.img_size).eval()
    video = torch.randn(args.batch_size, 3, args.frames, args.img_size, args.img_size)
    ids = torch.randint(1000 if args.arch == 'l' else 5, 2000 if args.arch == 'l' else 200,
                        (args.batch_size, 48))
    mask = torch.ones_like(ids)
    fns = {'ours': lambda: ours(video, ids, mask)}
    result = dict(benchmark='videochat2/vision_qformer', arch=args.arch, frames=args.frames,
                  img_size=args.img_size, batch_size=args.batch_size,
                  threads=torch.get_num_threads(),
                  params_m=round(sum(p.numel() for p in ours.parameters()) / 1e6, 1))
    with torch.no_grad():
        if args.official_root:
            official = OfficialVisionQFormer(args.official_root, args.arch, args.frames,
                                             args.img_size).eval()
            official.load_ours(ours)
            result['max_abs_diff'] = float((official(video, ids, mask)
                                            - ours(video, ids, mask)).abs().max())
            fns['official'] = lambda: official(video, ids, mask)
        stats = time_interleaved(fns, args.iters, args.warmup, device_sync('cpu'))
    result.update({f'{k}_sec': round(v['median'], 4) for k, v in stats.items()})
    if 'official' in stats:
        result['ratio_official_over_ours'] = round(stats['official']['median']
                                                   / stats['ours']['median'], 3)
    return result
