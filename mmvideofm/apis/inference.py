"""Inference API: build a model from a config, classify a video, extract its features.

Mirrors ``mmaction.apis`` (``init_recognizer`` / ``inference_recognizer``) with mmvideofm's
safe checkpoint loading and a feature extractor for every registered video backbone::

    model = init_model('configs/videovit/...py', 'work_dirs/.../epoch_20.pth', device='cpu')
    result = inference_recognizer(model, 'video.mp4')   # ActionDataSample, result.pred_score
    topk_predictions(result, k=3, class_names=get_class_names(model))
    feats = extract_features(model, 'video.mp4')             # (V, C) pooled, one row per view
    tokens = extract_features(model, 'video.mp4', layer=-1)  # (V, L, C) last block's tokens
"""
from __future__ import annotations

import os.path as osp
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.utils import import_modules_from_strings
from torch import nn

__all__ = ['init_model', 'inference_recognizer', 'extract_features', 'backbone_features',
           'build_test_pipeline', 'prepare_inputs', 'get_class_names', 'topk_predictions']

VideoInput = str | Path | np.ndarray | torch.Tensor | dict


def _load_cfg(config: str | Path | Config, cfg_options: dict | None) -> Config:
    from mmvideofm.engine.runner_utils import register_all

    register_all()
    if isinstance(config, (str, Path)):
        if not osp.isfile(config):
            raise FileNotFoundError(f'config file not found: {str(config)!r}')
        cfg = Config.fromfile(str(config))  # imports the config's custom_imports
    elif isinstance(config, Config):
        cfg = config.copy()
        if cfg.get('custom_imports'):
            import_modules_from_strings(**cfg.custom_imports)
    else:
        raise TypeError(f'config must be a file path or an mmengine Config, got '
                        f'{type(config).__name__}')
    if cfg_options:
        from mmvideofm.engine.config_overrides import propagate_path_overrides
        propagate_path_overrides(cfg, cfg_options)  # data_root=... reaches ann_file etc.
        cfg.merge_from_dict(cfg_options)
    if 'model' not in cfg:
        raise KeyError('the config has no `model` to build')
    return cfg


def _converter_hint(cfg: Config) -> str | None:
    """The plugin whose converter an official checkpoint of this config needs."""
    imports = (cfg.get('custom_imports') or {}).get('imports', [])
    imports = [imports] if isinstance(imports, str) else imports
    plugins = [m.split('.')[1] for m in imports if m.startswith('projects.') and '.' in m]
    return plugins[0] if plugins else None


def init_model(config: str | Path | Config,
               checkpoint: str | None = None,
               device: str | torch.device = 'cpu',
               cfg_options: dict | None = None) -> nn.Module:
    """Build ``config.model`` in eval mode on ``device`` and load ``checkpoint`` strictly.

    The checkpoint is read with the safe loader (``weights_only`` plus an allowlist) and
    must fit the model key for key; otherwise :class:`StateDictMismatchError` lists the
    missing / unexpected / mis-shaped keys. Official checkpoints need converting first
    (``.venv/bin/python tools/convert_checkpoint.py <plugin> IN OUT``). ``init_cfg`` pretrained
    weights are not loaded (the model is not ``init_weights``-ed), as in mmaction2. The model
    is built under a fixed seed (``randomness.seed``, else 0) without touching the global
    random state, so a random-weight model (no checkpoint) is the same in every process.
    """
    from mmvideofm.checkpoint import load_checkpoint_file, unwrap_state_dict
    from mmvideofm.checkpoint.convert import StateDictMismatchError, load_state_dict_checked
    from mmvideofm.registry import MODELS

    cfg = _load_cfg(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmvideofm'))
    seed = (cfg.get('randomness') or {}).get('seed')
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0 if seed is None else seed)
        model = MODELS.build(cfg.model)
    if checkpoint is not None:
        ckpt = load_checkpoint_file(checkpoint)
        try:
            load_state_dict_checked(model, unwrap_state_dict(ckpt), strict=True,
                                    converter_hint=_converter_hint(cfg))
        except StateDictMismatchError as err:
            raise StateDictMismatchError(f'{checkpoint}: {err}') from None
        meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get('dataset_meta'), dict):
            model.dataset_meta = meta['dataset_meta']
    model.cfg = cfg
    return model.to(device).eval()


# ---------------------------------------------------------------------------- inputs
def build_test_pipeline(cfg: Config, split: str = 'test') -> Compose:
    """The pipeline of ``{split}_dataloader.dataset`` (else ``cfg.{split}_pipeline``)."""
    init_default_scope(cfg.get('default_scope', 'mmvideofm'))
    dataset = (cfg.get(f'{split}_dataloader') or {}).get('dataset') or {}
    pipeline = dataset.get('pipeline') or cfg.get(f'{split}_pipeline')
    if not pipeline:
        raise KeyError(f'the config has neither {split}_dataloader.dataset.pipeline nor '
                       f'{split}_pipeline; pass a pipeline explicitly')
    return Compose(pipeline)


def _pipeline_input(video: VideoInput) -> dict:
    """The results dict a video dataset would feed to its pipeline."""
    if isinstance(video, dict):
        return dict(video)
    base = dict(label=-1, start_index=0, modality='RGB')
    if isinstance(video, (str, Path)):
        if not osp.exists(video):
            from mmvideofm.datasets.video_io import VideoReadError
            raise VideoReadError(str(video), 'no such file or folder')
        return dict(filename=str(video), **base)
    from mmvideofm.datasets.transforms.loading import ArrayVideoReader
    frames = video.cpu().numpy() if isinstance(video, torch.Tensor) else np.asarray(video)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f'video frames must be uint8 (T, H, W, 3) RGB, got {frames.dtype} '
                         f'{frames.shape} (extract_features also takes an already preprocessed float '
                         f'(C, T, H, W) / (V, C, T, H, W) tensor)')
    return dict(video_reader=ArrayVideoReader(frames), filename='<array>', **base)


def _is_model_input(video: Any) -> bool:
    return isinstance(video, torch.Tensor) and video.is_floating_point() and video.ndim in (4, 5)


def prepare_inputs(model: nn.Module, video: VideoInput,
                   test_pipeline: Compose | None = None) -> dict:
    """Run a video through the test pipeline, collate it and apply ``data_preprocessor``.

    Returns the preprocessor's dict (``inputs`` ``(1, V, C, T, H, W)`` for mmaction2's
    ``ActionDataPreprocessor``, ``data_samples``).
    """
    if test_pipeline is None:
        if not hasattr(model, 'cfg'):
            raise AttributeError('the model has no `cfg`; build it with init_model or pass '
                                 'test_pipeline')
        test_pipeline = build_test_pipeline(model.cfg)
    data = test_pipeline(_pipeline_input(video))
    if data is None:
        raise RuntimeError(f'the test pipeline rejected {video!r} (returned None)')
    preprocessor = getattr(model, 'data_preprocessor', None)
    if preprocessor is None:
        raise AttributeError(f'{type(model).__name__} has no data_preprocessor; build a '
                             f'recognizer / algorithm config (e.g. Recognizer3D with the '
                             f'backbone) or pass a preprocessed float tensor')
    return preprocessor(pseudo_collate([data]), False)


def inference_recognizer(model: nn.Module, video: VideoInput,
                         test_pipeline: Compose | None = None) -> Any:
    """Classify one video with a recognizer built by :func:`init_model`.

    Args:
        model: An mmaction2 recognizer (``model.cfg`` gives the test pipeline).
        video: A video file or frame folder, uint8 RGB frames ``(T, H, W, 3)`` (array or
            tensor), or a pipeline results dict (as mmaction2).
        test_pipeline: Overrides ``test_dataloader.dataset.pipeline`` of the config.

    Returns:
        The ``ActionDataSample`` of ``model.test_step``: ``pred_score`` ``(num_classes,)``
        (views averaged by the head's ``average_clips``) and ``pred_label``.
    """
    if test_pipeline is None:
        test_pipeline = build_test_pipeline(model.cfg)
    data = test_pipeline(_pipeline_input(video))
    with torch.no_grad():
        return model.test_step(pseudo_collate([data]))[0]


def get_class_names(model: nn.Module) -> list[str] | None:
    """Class names from the checkpoint's ``dataset_meta``, the config (``classes``,
    ``test_dataloader.dataset.metainfo``) or a ``classes.txt`` beside the test list."""
    meta = getattr(model, 'dataset_meta', None) or {}
    if meta.get('classes'):
        return list(meta['classes'])
    cfg = getattr(model, 'cfg', None)
    if cfg is None:
        return None
    if cfg.get('classes'):
        return list(cfg.classes)
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    if (dataset.get('metainfo') or {}).get('classes'):
        return list(dataset['metainfo']['classes'])
    ann_file = dataset.get('ann_file')
    if isinstance(ann_file, str):
        path = osp.join(dataset.get('data_root') or '', osp.dirname(ann_file), 'classes.txt')
        if osp.isfile(path):
            with open(path) as f:
                return [line.strip() for line in f if line.strip()]
    return None


def topk_predictions(result: Any, k: int = 5, class_names: Sequence[str] | None = None
                     ) -> list[tuple[int, str | None, float]]:
    """``[(label, name, score), ...]`` of the ``k`` best classes of ``result.pred_score``."""
    scores = result.pred_score if hasattr(result, 'pred_score') else result
    scores = torch.as_tensor(scores).detach().float().cpu().reshape(-1)
    if class_names is not None and len(class_names) != scores.numel():
        raise ValueError(f'{len(class_names)} class names for {scores.numel()} scores')
    values, labels = scores.topk(min(k, scores.numel()))
    return [(int(i), class_names[i] if class_names is not None else None, float(v))
            for v, i in zip(values.tolist(), labels.tolist())]


# ---------------------------------------------------------------------------- features
def _block_list(backbone: nn.Module) -> nn.ModuleList:
    for path in ('blocks', 'transformer.resblocks', 'layers'):
        obj: Any = backbone
        for name in path.split('.'):
            obj = getattr(obj, name, None)
        if isinstance(obj, nn.ModuleList):
            return obj
    raise AttributeError(f'{type(backbone).__name__} has no forward_intermediates and no '
                         f'block list (blocks / transformer.resblocks / layers); layer=int '
                         f'is not supported for it')


def _check_layer(layer: int, depth: int) -> int:
    if isinstance(layer, bool) or not isinstance(layer, int) or not -depth <= layer < depth:
        raise ValueError(f'layer must be an int in [{-depth}, {depth - 1}] for a backbone '
                         f'with {depth} blocks, got {layer!r}')
    return layer % depth


def _hooked_block_output(blocks: nn.ModuleList, layer: int, run: Any) -> torch.Tensor:
    """Run ``run()`` and return what ``blocks[layer]`` output."""
    captured: list[torch.Tensor] = []
    handle = blocks[layer].register_forward_hook(lambda m, i, o: captured.append(o))
    try:
        run()
    finally:
        handle.remove()
    if len(captured) != 1:
        raise RuntimeError(f'block {layer} ran {len(captured)} times, expected once')
    out = captured[0]
    return out[0] if isinstance(out, (tuple, list)) else out


def backbone_features(backbone: nn.Module, x: torch.Tensor, layer: int | None = None
                      ) -> torch.Tensor:
    """Features of a clip batch ``x`` (B, C, T, H, W) from a backbone.

    Shapes, per backbone family:

    - VideoViT / UMTViT (``forward_intermediates`` + ``forward_head``): ``layer=None`` ->
      ``(B, C)``, the pooled feature (mean of tokens -> ``fc_norm``, or mean of ``norm``-ed
      tokens), i.e. ``forward_head(..., pre_logits=True)``; ``layer=i`` -> ``(B, L, C)``,
      block ``i``'s output tokens (before the final norm), ``L = T' * H' * W'``.
    - CLIPVisual (``encode_image``, frame by frame): ``layer=None`` -> ``(B, T, D)``, each
      frame's projected [CLS] embedding (L2-normalised for ``norm_type='l2'``); ``layer=i``
      -> ``(B, T, 1 + HW, width)``, block ``i``'s tokens ([CLS] first).
    - Any other backbone: ``layer=None`` -> its ``forward`` output (first element of a
      tuple); ``layer=i`` -> the output of its ``i``-th block (found as ``blocks``,
      ``transformer.resblocks`` or ``layers``).
    """
    if hasattr(backbone, 'encode_image'):  # an image tower run frame by frame
        B, C, T, H, W = x.shape
        frames = x.transpose(1, 2).reshape(B * T, C, H, W)
        if layer is None:
            return backbone.encode_image(frames).reshape(B, T, -1)
        blocks = _block_list(backbone)
        idx = _check_layer(layer, len(blocks))
        out = _hooked_block_output(blocks, idx, lambda: backbone.encode_image(frames))
        return out.reshape(B, T, *out.shape[1:])
    if hasattr(backbone, 'forward_intermediates'):
        if layer is None and hasattr(backbone, 'forward_head'):
            return backbone.forward_head(backbone.forward_features(x), pre_logits=True)
        if layer is not None:
            idx = _check_layer(layer, len(_block_list(backbone)))
            return backbone.forward_intermediates(x, indices=[idx])[1][0]
    if layer is None:
        out = backbone(x)
        return out[0] if isinstance(out, (tuple, list)) else out
    blocks = _block_list(backbone)
    idx = _check_layer(layer, len(blocks))
    return _hooked_block_output(blocks, idx, lambda: backbone(x))


def extract_features(model: nn.Module, video: VideoInput, layer: int | None = None,
                     test_pipeline: Compose | None = None) -> torch.Tensor:
    """Backbone features of one video, one row per test view.

    Args:
        model: A model from :func:`init_model`: an mmaction2 recognizer or an mmvideofm
            algorithm (its ``backbone`` is used), or a bare backbone.
        video: As :func:`inference_recognizer`; or a float tensor ``(C, T, H, W)`` /
            ``(V, C, T, H, W)`` already preprocessed, which skips pipeline and preprocessor.
        layer: ``None`` for the final pooled / normalised feature, an int (negative counts
            from the end) for that block's tokens.
        test_pipeline: Overrides the config's test pipeline.

    Returns:
        ``(V, ...)`` on the model's device, ``V`` = views of the test pipeline (clips x
        crops); the rest as :func:`backbone_features` (VideoViT: ``(V, C)`` or ``(V, L, C)``).
    """
    from mmvideofm.models.utils import as_clip_batch

    if _is_model_input(video):
        x = video if video.ndim == 5 else video.unsqueeze(0)
        x = x.to(next(model.parameters()).device)
    else:
        x = as_clip_batch(prepare_inputs(model, video, test_pipeline)['inputs'])
    backbone = getattr(model, 'backbone', model)
    with torch.no_grad():
        return backbone_features(backbone, x, layer)


def extract_text_features(model: nn.Module, texts: Sequence[str], normalize: bool = True,
                          batch_size: int = 256) -> torch.Tensor:
    """Text embeddings ``(N, E)`` of a video-text model (its ``text_features``: ViCLIP's
    EOT feature @ ``text_projection``), L2-normalised unless ``normalize=False``; compare
    them with :func:`extract_features` of the same model (the clip embedding)."""
    encode = getattr(model, 'text_features', None)
    if encode is None:
        raise TypeError(f'{type(model).__name__} has no text_features(texts): text embeddings '
                        'need a video-text model (e.g. ViCLIP)')
    texts = [texts] if isinstance(texts, str) else list(texts)
    if not texts:
        raise ValueError('no texts given')
    with torch.no_grad():
        return torch.cat([encode(texts[i:i + batch_size], normalize=normalize)
                          for i in range(0, len(texts), batch_size)])
