"""Stage 3: per-clip scores.

- ``VideoTextScore``: cosine similarity of a registered video-text model (UMT stage 2,
  ViCLIP, or any ``VideoTextPretrainer``) between the clip (``num_frames`` uniform frames,
  InternVid: 4) and its caption: InternVid's ``UMT_Score``. The model is built through the
  registry from a config (``config`` file + ``checkpoint``, or a ``model`` dict whose plugin
  ``imports`` are listed): the curation core never imports a plugin.
- ``AestheticScore``: the LAION aesthetic predictor (an MLP over L2-normalised CLIP image
  embeddings) on 4 uniform frames, the **maximum** kept (``Aesthetic_Score``).
- ``CLIPScore``: CLIPScore (Hessel et al. 2021: ``w * max(cos, 0)``, w = 2.5) of the caption
  and **one random frame** (issue #91's FLT recipe uses OpenAI CLIP-L/14).

CLIP models come from open_clip: ``dict(model_name='ViT-L-14', pretrained=<local file>)``, or
``dict(model_cfg=dict(embed_dim=..., vision_cfg=..., text_cfg=...), seed=0)`` for a tiny
random model (tests). Nothing is downloaded.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mmvideofm.checkpoint import load_checkpoint_file, register_converter, unwrap_state_dict

from ..video_io import open_video
from .base import (
    CURATION_STAGES,
    CurationStage,
    clip_rng,
    resolve_local_path,
    uniform_frame_indices,
)

__all__ = ['VideoTextScore', 'AestheticScore', 'CLIPScore', 'LaionAestheticMLP',
           'convert_laion_aesthetic', 'build_clip']


def _resize(frames: np.ndarray, size: int) -> np.ndarray:
    """Bicubic resize of ``(N, H, W, 3)`` uint8 frames to ``size x size`` (no crop)."""
    import cv2
    if frames.shape[1] == size and frames.shape[2] == size:
        return frames
    return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_CUBIC) for f in frames])


def _clip_frames(video: dict[str, Any], clips: list[dict], pick) -> list[np.ndarray]:
    """Frames of every clip: ``pick(i, clip) -> indices``; one reader per video."""
    with open_video(video['path']) as reader:
        return [reader.get_frames(pick(i, c)) for i, c in enumerate(clips)]


class _ScoreStage(CurationStage):
    """Shared parts of the score stages: inputs, result layout, device."""

    default_requires = ('scenes', 'captions')

    def __init__(self, field: str, device: str = 'cpu', batch_size: int = 16, **kwargs) -> None:
        super().__init__(**kwargs)
        self.field = field
        self.device = device
        self.batch_size = batch_size

    def process(self, video: dict[str, Any], inputs: dict[str, dict]) -> dict[str, Any]:
        clips = inputs[self.requires[0]]['clips']
        captions = inputs[self.requires[1]]['Caption'] if len(self.requires) > 1 else None
        if not clips:
            return {self.field: []}
        scores = self.score(video, clips, captions)
        return {self.field: [round(float(s), 6) for s in scores]}

    def score(self, video: dict[str, Any], clips: list[dict], captions: list[str] | None
              ) -> list[float]:
        raise NotImplementedError


@CURATION_STAGES.register_module()
class VideoTextScore(_ScoreStage):
    """Video-text cosine similarity of a registered video-text model (``UMT_Score``).

    Args:
        config: A model config file (its ``custom_imports`` load the plugin).
        checkpoint: Weights for ``config`` / ``model`` (converted; safe loader).
        model: A model config dict (alternative to ``config``), e.g.
            ``dict(type='UMT', ...)``; ``imports`` lists the modules that register its types.
        imports: Modules to import before building ``model`` (e.g. ``['projects.umt']``).
        num_frames: Uniform frames per clip (InternVid: 4).
        size: Frame side the model takes.
        field: Output field (``UMT_Score``).
        init_seed: Torch seed the model is built under (a model without checkpoint gets the
            same random weights in every worker and on every backend).
    """

    default_name = 'umt_score'

    def __init__(self, config: str | None = None, checkpoint: str | None = None,
                 model: dict | None = None, imports: list[str] | tuple = (),
                 num_frames: int = 4, size: int = 224, field: str = 'UMT_Score',
                 init_seed: int = 0, **kwargs) -> None:
        super().__init__(field=field, **kwargs)
        if (config is None) == (model is None):
            raise ValueError('VideoTextScore needs exactly one of `config` (a model config '
                             'file) or `model` (a model config dict)')
        self.config, self.checkpoint, self.model_cfg = config, checkpoint, model
        self.imports = list(imports)
        self.num_frames, self.size = num_frames, size
        self.init_seed = init_seed
        self.model = None

    def setup(self) -> None:
        from mmengine.registry import init_default_scope
        from mmengine.utils import import_modules_from_strings

        import mmvideofm.models  # noqa: F401  (registers the core models)
        from mmvideofm.registry import MODELS
        if self.imports:
            import_modules_from_strings(self.imports)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.init_seed)
            if self.config is not None:
                from mmvideofm.apis import init_model
                self.model = init_model(resolve_local_path(self.config, 'scores.config'),
                                        self.checkpoint, device=self.device)
                return
            init_default_scope('mmvideofm')
            model = MODELS.build(dict(self.model_cfg))
        if self.checkpoint is not None:
            ckpt = load_checkpoint_file(resolve_local_path(self.checkpoint, 'scores.checkpoint'))
            model.load_state_dict(unwrap_state_dict(ckpt), strict=True)
        self.model = model.to(self.device).eval()

    @torch.no_grad()
    def score(self, video, clips, captions):
        from mmvideofm.models.losses import video_text_similarity
        frames = _clip_frames(video, clips, lambda i, c: uniform_frame_indices(
            c['start_frame'], c['end_frame'], self.num_frames))
        out = []
        for s in range(0, len(clips), self.batch_size):
            batch = [torch.from_numpy(_resize(f, self.size)).permute(3, 0, 1, 2)[None].float()
                     for f in frames[s:s + self.batch_size]]  # (1, C, T, H, W) each
            inputs = self.model.data_preprocessor(dict(inputs=batch, data_samples=None),
                                                  False)['inputs']
            feats = self.model.retrieval_features(inputs, list(captions[s:s + len(batch)]))
            sim, _ = video_text_similarity(feats['video_feat'], feats['text_feat'])
            out += sim.diagonal().cpu().tolist()
        return out


def build_clip(cfg: dict, key: str, device: str = 'cpu') -> tuple[nn.Module, Any, int]:
    """An open_clip model (eval), its tokenizer and input size from a local config."""
    import open_clip
    cfg = dict(cfg)
    if 'model_cfg' in cfg:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(cfg.get('seed', 0)))
            model = open_clip.CLIP(**cfg['model_cfg'])
        tokenizer = open_clip.tokenize
    else:
        name = cfg.get('model_name')
        if not name:
            raise ValueError(f'curation config key {key!r} needs model_name (e.g. ViT-L-14) and '
                             'pretrained (a local file), or model_cfg for a random model')
        path = resolve_local_path(cfg.get('pretrained'), f'{key}.pretrained')
        model = open_clip.create_model(name, pretrained=path)
        tokenizer = open_clip.get_tokenizer(name)
    size = model.visual.image_size
    size = size[0] if isinstance(size, (tuple, list)) else int(size)
    return model.to(device).eval(), tokenizer, size


def _clip_image_features(model: nn.Module, frames: np.ndarray, size: int, device: str
                         ) -> torch.Tensor:
    """L2-normalised CLIP image embeddings of ``(N, H, W, 3)`` uint8 frames."""
    from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD
    x = torch.from_numpy(_resize(frames, size)).permute(0, 3, 1, 2).float().div(255)
    mean = torch.tensor(OPENAI_DATASET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(OPENAI_DATASET_STD).view(1, 3, 1, 1)
    return F.normalize(model.encode_image(((x - mean) / std).to(device)).float(), dim=-1)


class LaionAestheticMLP(nn.Module):
    """The LAION aesthetic predictor head (``improved-aesthetic-predictor``'s ``MLP``: 768 ->
    1024 -> 128 -> 64 -> 16 -> 1 with dropout, keys ``layers.{0,2,4,6,7}``), or the older
    linear predictor (``variant='linear'``: one ``layers.0`` Linear) over normalised CLIP
    image embeddings."""

    def __init__(self, input_dim: int = 768, variant: str = 'mlp') -> None:
        super().__init__()
        if variant == 'mlp':
            self.layers = nn.Sequential(
                nn.Linear(input_dim, 1024), nn.Dropout(0.2), nn.Linear(1024, 128),
                nn.Dropout(0.2), nn.Linear(128, 64), nn.Dropout(0.1), nn.Linear(64, 16),
                nn.Linear(16, 1))
        elif variant == 'linear':
            self.layers = nn.Sequential(nn.Linear(input_dim, 1))
        else:
            raise ValueError(f"variant must be 'mlp' or 'linear', got {variant!r}")

    def forward(self, embeds: torch.Tensor) -> torch.Tensor:
        return self.layers(embeds).squeeze(-1)


@register_converter('internvid/laion_aesthetic')
def convert_laion_aesthetic(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """LAION aesthetic predictor weights -> :class:`LaionAestheticMLP` keys.

    Accepts ``sac+logos+ava1-l14-linearMSE.pth`` (``layers.*``, possibly under ``module.``)
    and the older ``sa_0_4_vit_l_14_linear.pth`` (a bare Linear: ``weight`` / ``bias``).
    """
    sd = {k.removeprefix('module.'): v for k, v in state_dict.items()}
    if set(sd) == {'weight', 'bias'}:
        return {'layers.0.weight': sd['weight'], 'layers.0.bias': sd['bias']}
    if not any(k.startswith('layers.') for k in sd):
        raise KeyError(f'not a LAION aesthetic predictor state dict (keys {sorted(sd)[:6]})')
    return {k: v for k, v in sd.items() if k.startswith('layers.')}


def load_aesthetic_mlp(path: str | None, input_dim: int, seed: int | None) -> nn.Module:
    """The predictor from a local weights file (converted on load), or random (``seed``)."""
    if path is None:
        if seed is None:
            raise ValueError("curation config key 'scores.mlp_weights' is not set: give the "
                             'local LAION aesthetic predictor file (e.g. '
                             'sac+logos+ava1-l14-linearMSE.pth), or random_seed for a random '
                             'head (tests)')
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return LaionAestheticMLP(input_dim).eval()
    sd = convert_laion_aesthetic(unwrap_state_dict(load_checkpoint_file(
        resolve_local_path(path, 'scores.mlp_weights'))))
    mlp = LaionAestheticMLP(input_dim, 'linear' if len(sd) == 2 else 'mlp')
    mlp.load_state_dict(sd, strict=True)
    return mlp.eval()


@CURATION_STAGES.register_module()
class AestheticScore(_ScoreStage):
    """LAION aesthetic score: max over ``num_frames`` uniform frames (``Aesthetic_Score``).

    Args:
        clip: open_clip config (see :func:`build_clip`; InternVid: CLIP ViT-L/14).
        mlp_weights: Local predictor file (official or converted layout).
        random_seed: Random predictor head when ``mlp_weights`` is None (tests only).
        num_frames: Uniform frames per clip (4); ``reduce``: ``'max'`` (official) or ``'mean'``.
    """

    default_name = 'aesthetic'
    default_requires = ('scenes',)

    def __init__(self, clip: dict, mlp_weights: str | None = None,
                 random_seed: int | None = None, num_frames: int = 4, reduce: str = 'max',
                 field: str = 'Aesthetic_Score', **kwargs) -> None:
        super().__init__(field=field, **kwargs)
        if reduce not in ('max', 'mean'):
            raise ValueError(f"reduce must be 'max' or 'mean', got {reduce!r}")
        self.clip_cfg, self.mlp_weights, self.random_seed = clip, mlp_weights, random_seed
        self.num_frames, self.reduce = num_frames, reduce

    def setup(self) -> None:
        self.clip, _, self.size = build_clip(self.clip_cfg, 'scores.clip', self.device)
        dim = self.clip.visual.output_dim
        self.mlp = load_aesthetic_mlp(self.mlp_weights, dim, self.random_seed).to(self.device)

    @torch.no_grad()
    def score(self, video, clips, captions):
        frames = _clip_frames(video, clips, lambda i, c: uniform_frame_indices(
            c['start_frame'], c['end_frame'], self.num_frames))
        feats = _clip_image_features(self.clip, np.concatenate(frames), self.size, self.device)
        per_frame = self.mlp(feats).view(len(clips), self.num_frames)
        return (per_frame.amax(1) if self.reduce == 'max' else per_frame.mean(1)).tolist()


@CURATION_STAGES.register_module()
class CLIPScore(_ScoreStage):
    """CLIPScore of the caption and one random frame (``CLIP_Score``; issue #91's FLT).

    Args:
        clip: open_clip config (issue #91: OpenAI CLIP-L/14).
        weight: ``w`` in ``w * max(cos, 0)`` (Hessel et al.: 2.5).
        seed: The random frame depends only on (seed, video, clip).
    """

    default_name = 'clip_score'

    def __init__(self, clip: dict, weight: float = 2.5, seed: int = 42,
                 field: str = 'CLIP_Score', **kwargs) -> None:
        super().__init__(field=field, **kwargs)
        self.clip_cfg, self.weight, self.seed = clip, weight, seed

    def setup(self) -> None:
        self.clip, self.tokenizer, self.size = build_clip(self.clip_cfg, 'scores.clip',
                                                          self.device)

    @torch.no_grad()
    def score(self, video, clips, captions):
        frames = _clip_frames(video, clips, lambda i, c: [int(clip_rng(
            self.seed, video['key'], i).integers(c['start_frame'], c['end_frame']))])
        img = _clip_image_features(self.clip, np.concatenate(frames), self.size, self.device)
        txt = F.normalize(self.clip.encode_text(self.tokenizer(list(captions)).to(self.device))
                          .float(), dim=-1)
        return (self.weight * (img * txt).sum(-1).clamp(min=0)).tolist()
