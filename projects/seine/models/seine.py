"""Random-mask video diffusion training (the paper's method; the official repo ships no
training code, issue #14)."""
from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from mmvideofm.models.algorithms.base import BaseVideoAlgorithm
from mmvideofm.registry import MODELS

from ..masks import RandomMaskSampler
from ..pipeline import IdentityVAE, SEINEPipeline
from ..scheduler import SEINEScheduler

__all__ = ['SEINE']


@MODELS.register_module()
class SEINE(BaseVideoAlgorithm):
    """SEINE: a 9-channel video UNet trained to denoise clips with random frame masks.

    ``loss``: draw a mask type per clip from ``mask_mix``, encode the clip and its masked copy
    (unknown frames 0) with the VAE, add noise to the latent channels only, and regress the
    noise (MSE) from ``[x_t, mask, masked latent]`` and the text (dropped to "" with
    ``text_dropout`` for classifier-free guidance). With ``scheduler.prediction_type='sample'``
    the target is the clean latent instead (an option for tiny pixel-space models).

    Args:
        unet: :class:`SEINEUNet` config.
        scheduler: :class:`SEINEScheduler` config (training uses its 1000-step table).
        vae: ``dict(type='AutoencoderKL', pretrained=PATH)`` style config, or None for pixel
            space (:class:`IdentityVAE`; ``dict(type='IdentityVAE', patch_size=2)``: pixels
            in 2x2 space-to-depth cells).
        text_encoder: ``dict(pretrained=PATH)`` of a local CLIP text model + tokenizer,
            ``dict(config=..., tokenizer=..., max_length=L, trainable=False)`` for a tiny
            random-init CLIP text model (:func:`_build_text`), or None (no text: one zero
            token).
        mask_mix: weights of the mask kinds (:class:`RandomMaskSampler`).
        max_given: largest number of given frames of a transition / prediction mask.
        text_dropout: probability of replacing a caption by "" (official 0.1).
        grad_checkpointing: recompute UNet blocks in backward.
    """

    default_data_preprocessor = dict(type='ActionDataPreprocessor', mean=[127.5] * 3,
                                     std=[127.5] * 3, format_shape='NCTHW')

    def __init__(self, unet: dict, scheduler: dict | None = None, vae: dict | None = None,
                 text_encoder: dict | None = None, mask_mix: Mapping[str, float] | None = None,
                 max_given: int = 2, text_dropout: float = 0.1,
                 grad_checkpointing: bool = False, data_preprocessor: dict | None = None,
                 seed: int | None = None, init_cfg: dict | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, seed=seed, init_cfg=init_cfg)
        self.unet = MODELS.build(unet)
        self.unet.set_grad_checkpointing(grad_checkpointing)
        self.scheduler = SEINEScheduler(**{k: v for k, v in (scheduler or {}).items()
                                           if k != 'type'})
        self.vae = _build_vae(vae, self.unet.out_channels)
        self.tokenizer, self.text_encoder = _build_text(text_encoder)
        self.mask_sampler = RandomMaskSampler(mask_mix, max_given)
        if not 0 <= text_dropout <= 1:
            raise ValueError(f'text_dropout must be in [0, 1], got {text_dropout}')
        self.text_dropout = text_dropout

    def train(self, mode: bool = True) -> SEINE:
        super().train(mode)
        for frozen in (self.vae, self.text_encoder):
            if isinstance(frozen, nn.Module) and not getattr(frozen, 'trainable', False):
                frozen.eval()
        return self

    def pipeline(self, sampler: str | None = None, **kwargs) -> SEINEPipeline:
        """An inference pipeline over this model's UNet, VAE and text encoder, with the
        training scheduler's settings (``sampler``: ``'ddpm'`` / ``'ddim'`` override)."""
        cfg = {k: v for k, v in self.scheduler.config.items() if not k.startswith('_')}
        if sampler is not None:
            cfg['sampler'] = sampler
        return SEINEPipeline(self.unet, SEINEScheduler(**cfg), self.vae, self.text_encoder,
                             self.tokenizer, **kwargs)

    def _video(self, inputs: torch.Tensor) -> torch.Tensor:
        """(B, [1,] C, F, H, W) preprocessed clips -> (B, F, C, H, W) in [-1, 1]."""
        if inputs.dim() == 6:
            inputs = inputs.flatten(0, 1)
        return inputs.transpose(1, 2)

    def loss(self, inputs: torch.Tensor, data_samples: list | None = None
             ) -> dict[str, torch.Tensor]:
        video = self._video(inputs)
        b, f = video.shape[:2]
        gen = self.generator(video.device)
        masks, _ = self.mask_sampler(b, f, torch.Generator().manual_seed(
            int(torch.randint(0, 2**62, (1, ), generator=gen, device=gen.device))))
        masks = masks.to(video)
        pipe = self.pipeline(trained_frames=None)
        with torch.no_grad():
            z0 = pipe.encode_video(video, gen)  # (B, C, F, h, w)
            masked = pipe.encode_video(video * (masks[:, 0, :, None] == 0), gen)
        with torch.set_grad_enabled(getattr(self.text_encoder, 'trainable', False)):
            text = self._text(data_samples, b, gen, pipe)
        t = torch.randint(0, self.scheduler.config.num_train_timesteps, (b, ), device=video.device,
                          generator=gen)
        noise = torch.randn(z0.shape, generator=gen, device=gen.device).to(z0)
        x_t = self.scheduler.add_noise(z0, noise, t)  # noise on the latent channels only
        lmask = masks.expand(b, 1, f, *z0.shape[-2:])
        pred = self.unet(torch.cat([x_t, lmask, masked], dim=1), t, text).sample
        target = z0 if self.scheduler.config.prediction_type == 'sample' else noise
        return {'loss_diffusion': F.mse_loss(pred.float(), target.float())}

    def _text(self, data_samples, batch: int, gen: torch.Generator, pipe: SEINEPipeline):
        """Captions with CFG dropout -> (B, L, D)."""
        captions = []
        for i in range(batch):
            meta = data_samples[i].metainfo if data_samples else {}
            cap = meta.get('caption', '') or ''
            drop = torch.rand((1, ), generator=gen, device=gen.device).item() < self.text_dropout
            captions.append('' if drop else cap)
        return pipe.encode_prompt(captions, grad=torch.is_grad_enabled())

    def extract_feat(self, inputs: torch.Tensor):
        """Predicted noise of the clean clips at t=0 with nothing given (a smoke path)."""
        video = self._video(inputs)
        pipe = self.pipeline(trained_frames=None)
        z0 = pipe.encode_video(video)
        b, c, f, h, w = z0.shape
        x = torch.cat([z0, z0.new_ones(b, 1, f, h, w), torch.zeros_like(z0)], dim=1)
        return self.unet(x, torch.zeros(b, dtype=torch.long, device=z0.device),
                         pipe.encode_prompt([''] * b)).sample


def _build_vae(cfg: dict | None, channels: int) -> nn.Module:
    if cfg is None:
        return IdentityVAE(channels)
    cfg = dict(cfg)
    if cfg.pop('type', None) == 'IdentityVAE':
        return IdentityVAE(channels, **cfg)
    if 'pretrained' in cfg:
        from diffusers import AutoencoderKL
        vae = AutoencoderKL.from_pretrained(cfg['pretrained'], local_files_only=True)
    else:
        from diffusers import AutoencoderKL
        vae = AutoencoderKL.from_config(cfg['config'] if 'config' in cfg else cfg)
    return vae.requires_grad_(False).eval()


def _build_text(cfg: dict | None):
    """(tokenizer, CLIPTextModel) from ``dict(pretrained=PATH)`` (an SD folder), or from
    ``dict(config=CLIPTextConfig fields, tokenizer=TOKENIZERS config, max_length=L)`` (a
    tiny random-init encoder; ``vocab_size`` defaults to the tokenizer's). The encoder is
    frozen unless ``trainable=True``."""
    if cfg is None:
        return None, None
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer
    cfg = dict(cfg)
    trainable = bool(cfg.pop('trainable', False))
    if 'pretrained' in cfg:
        path = cfg['pretrained']
        enc = CLIPTextModel.from_pretrained(cfg.get('text_encoder', f'{path}/text_encoder'),
                                            local_files_only=True)
        tok = CLIPTokenizer.from_pretrained(cfg.get('tokenizer', f'{path}/tokenizer'),
                                            local_files_only=True)
    elif 'config' in cfg and 'tokenizer' in cfg:
        from mmvideofm.models.text import build_tokenizer
        tok = build_tokenizer(cfg['tokenizer'])
        tok.model_max_length = int(cfg.get('max_length', 77))
        text_cfg = dict(cfg['config'])
        text_cfg.setdefault('vocab_size', tok.vocab_size)
        text_cfg.setdefault('max_position_embeddings', tok.model_max_length)
        for key, names in (('bos_token_id', ('cls_token_id', 'sot_token_id')),
                           ('eos_token_id', ('sep_token_id', 'eot_token_id')),
                           ('pad_token_id', ('pad_token_id', ))):
            ids = [getattr(tok, n, None) for n in names]
            text_cfg.setdefault(key, next((i for i in ids if i is not None), None))
        enc = CLIPTextModel(CLIPTextConfig(**text_cfg))
    else:
        raise ValueError(f'text_encoder needs pretrained=PATH (an SD-1.4 folder) or config= '
                         f'(CLIPTextConfig fields) with tokenizer= (a TOKENIZERS config), got '
                         f'{sorted(cfg)}')
    enc.requires_grad_(trainable)
    enc.trainable = trainable
    return tok, enc if trainable else enc.eval()
