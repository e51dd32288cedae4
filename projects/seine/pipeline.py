"""SEINE inference: transition (``onelast1``), image-to-video (``first1``), autoregressive
prediction (``firstN`` from the previous clip) and story mode, as one diffusers-style pipeline.

The conditioning is the official ``get_input`` + ``auto_inpainting``: known frames are placed,
unknown ones set to 0 (mid-grey in [-1, 1]), the masked clip is encoded by the VAE, and the
UNet sees ``[x_t, mask, masked latent]``. Known frames are not pasted back (as upstream).
"""
from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from diffusers.utils import BaseOutput
from torch import nn

from mmvideofm.registry import MODELS

from .masks import frame_mask, parse_mask_type
from .models.unet import SEINEUNet
from .scheduler import SEINEScheduler

__all__ = ['SEINEPipeline', 'SEINEPipelineOutput', 'IdentityVAE', 'preprocess_images',
           'masked_video',
           'PROMPT_SUFFIX', 'to_uint8']

#: The official configs' ``additional_prompt`` (appended with no separator).
PROMPT_SUFFIX = {'i2v': ', slow motion.', 'transition': 'smooth transition.'}

ImageLike = 'np.ndarray | torch.Tensor | PIL.Image.Image'


@MODELS.register_module()
class IdentityVAE(nn.Module):
    """Pixel-space stand-in for ``AutoencoderKL`` (the tiny synthetic SEINE): latents are
    the [-1, 1] pixels, scaling factor 1. With ``patch_size`` p > 1 the latent is the
    lossless space-to-depth of the frame (``pixel_unshuffle``: (3, H, W) -> (3p², H/p, W/p)),
    which lets the UNet work at a p times smaller grid.

    Args:
        channels: latent channels (the UNet's ``out_channels``; 3p² with patches).
        patch_size: pixels per latent cell side.
    """

    class _Dist:
        def __init__(self, x: torch.Tensor) -> None:
            self.x = x

        def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
            return self.x

    def __init__(self, channels: int = 3, patch_size: int = 1) -> None:
        super().__init__()
        if patch_size < 1 or channels % (patch_size ** 2):
            raise ValueError(f'IdentityVAE: channels ({channels}) must be image channels x '
                             f'patch_size² (patch_size={patch_size}); set the UNet\'s '
                             f'out_channels to 3 * patch_size ** 2')
        self.patch_size = patch_size
        self.config = type('Config', (), dict(scaling_factor=1.0, latent_channels=channels,
                                              downscale=patch_size))()

    def encode(self, x: torch.Tensor):
        if self.patch_size > 1:
            x = F.pixel_unshuffle(x, self.patch_size)
        return type('Out', (), dict(latent_dist=self._Dist(x)))()

    def decode(self, z: torch.Tensor):
        if self.patch_size > 1:
            z = F.pixel_shuffle(z, self.patch_size)
        return type('Out', (), dict(sample=z))()


def _vae_downscale(vae: nn.Module) -> int:
    cfg = vae.config
    if hasattr(cfg, 'downscale'):
        return cfg.downscale
    return 2 ** (len(cfg.block_out_channels) - 1)


def _as_float_image(image) -> torch.Tensor:
    """(3, H, W) float in [0, 1] from a PIL image, HWC uint8 array or CHW/HWC tensor."""
    if not isinstance(image, (np.ndarray, torch.Tensor)):
        image = np.array(image.convert('RGB'))
    t = torch.as_tensor(np.array(image) if isinstance(image, np.ndarray) else image)
    if t.dim() != 3:
        raise ValueError(f'scene image must be (H, W, 3) or (3, H, W), got {tuple(t.shape)}')
    if t.shape[-1] in (3, 4) and t.shape[0] not in (3, 4):
        t = t.permute(2, 0, 1)
    t = t[:3]
    return t.float() / 255. if t.dtype == torch.uint8 else t.float()


def preprocess_images(images: Sequence, size: Sequence[int]) -> torch.Tensor:
    """Official ``get_input`` transform: [0, 1] -> bilinear resize to ``size`` (no antialias,
    aspect ratio not kept) -> [-1, 1]. Images of different sizes are each resized to ``size``
    (documented; the official folder loader does the same). Returns (N, 3, H, W)."""
    out = []
    for img in images:
        x = _as_float_image(img)[None]
        x = F.interpolate(x, size=tuple(size), mode='bilinear', align_corners=False)
        out.append((x[0] - 0.5) / 0.5)
    return torch.stack(out)


def to_uint8(video: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> uint8 as the official script: ``((x * 0.5 + 0.5) * 255 + 0.5).clamp``."""
    return ((video * 0.5 + 0.5) * 255 + 0.5).clamp(0, 255).to(torch.uint8)


def masked_video(frames: torch.Tensor, mask_type: str, num_frames: int
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """The clip the VAE encodes: given frames placed as ``mask_type`` says, every frame to
    generate 0 (mid-grey in [-1, 1]). ``frames``: (K, 3, H, W). Returns it and the (F,) mask."""
    kind, n = parse_mask_type(mask_type)
    mask = frame_mask(mask_type, num_frames)
    video = torch.full((num_frames, *frames.shape[1:]), -1.0)  # official: black frames
    if kind == 'first':
        for i in range(n):
            video[i] = frames[min(i, len(frames) - 1)]
    elif kind == 'onelast':
        video[:n] = frames[0]
        video[num_frames - n:] = frames[-1]
    return video * (mask == 0)[:, None, None, None], mask


@dataclass
class SEINEPipelineOutput(BaseOutput):
    """``frames``: (B, F, 3, H, W) in [-1, 1]; ``mask``: the (F,) frame mask used."""

    frames: torch.Tensor
    mask: torch.Tensor


class SEINEPipeline:
    """UNet + ADM scheduler + VAE + CLIP text encoder (all optional except the UNet).

    Args:
        unet: :class:`SEINEUNet`.
        scheduler: :class:`SEINEScheduler` (default: official DDPM settings).
        vae: ``AutoencoderKL`` or :class:`IdentityVAE` (default: pixel space).
        text_encoder / tokenizer: transformers ``CLIPTextModel`` / ``CLIPTokenizer``; without
            them the text is a single zero token (the tiny synthetic SEINE).
        trained_frames: frame count of the checkpoint (16 for seine.pt): other counts warn.
    """

    def __init__(self, unet: SEINEUNet, scheduler: SEINEScheduler | None = None,
                 vae: nn.Module | None = None, text_encoder: nn.Module | None = None,
                 tokenizer=None, trained_frames: int | None = 16) -> None:
        self.unet = unet
        self.scheduler = scheduler or SEINEScheduler()
        self.vae = vae or IdentityVAE(unet.out_channels)
        self.text_encoder, self.tokenizer = text_encoder, tokenizer
        self.trained_frames = trained_frames
        self.device = next(unet.parameters()).device
        self._offload: str | None = None

    # ------------------------------------------------------------------ memory savers
    def enable_vae_slicing(self) -> None:
        """Decode / encode frame by frame (``AutoencoderKL`` slicing)."""
        if hasattr(self.vae, 'enable_slicing'):
            self.vae.enable_slicing()

    def enable_vae_tiling(self) -> None:
        """Tiled VAE decoding for large frames (``AutoencoderKL`` tiling)."""
        if hasattr(self.vae, 'enable_tiling'):
            self.vae.enable_tiling()

    def enable_attention_slicing(self, slice_size: int | None = 1) -> None:
        """Sliced spatial / cross attention in the UNet (``None`` turns it off)."""
        self.unet.set_attention_slice(slice_size)

    def enable_model_cpu_offload(self, device: str | torch.device = 'cuda') -> None:
        """Keep the models on the CPU; move each to ``device`` only while it runs."""
        self._offload = str(device)
        for m in self._modules():
            m.to('cpu')
        self.device = torch.device(device)

    def to(self, device: str | torch.device, dtype: torch.dtype | None = None) -> SEINEPipeline:
        """Move every model (fp16/bf16 on GPU via ``dtype``)."""
        for m in self._modules():
            m.to(device=device, dtype=dtype)
        self.device = torch.device(device)
        return self

    def _modules(self) -> list[nn.Module]:
        return [m for m in (self.unet, self.vae, self.text_encoder) if isinstance(m, nn.Module)]

    @contextlib.contextmanager
    def _use(self, module: nn.Module | None):
        if self._offload is None or not isinstance(module, nn.Module):
            yield module
            return
        module.to(self._offload)
        try:
            yield module
        finally:
            module.to('cpu')

    @property
    def dtype(self) -> torch.dtype:
        return next(self.unet.parameters()).dtype

    # ------------------------------------------------------------------ encoders
    def encode_prompt(self, prompts: Sequence[str], grad: bool = False) -> torch.Tensor:
        """(N, L, D) CLIP ``last_hidden_state`` (``model_max_length`` tokens, 77 in CLIP,
        max-length padding); ``grad=True`` keeps the graph (a trained text encoder)."""
        if self.text_encoder is None:
            d = self.unet.config['cross_attention_dim']
            return torch.zeros(len(prompts), 1, d, device=self.device, dtype=self.dtype)
        tok = self.tokenizer(list(prompts), padding='max_length', truncation=True,
                             max_length=getattr(self.tokenizer, 'model_max_length', 77),
                             return_tensors='pt')
        with torch.set_grad_enabled(grad), self._use(self.text_encoder) as enc:
            ids = tok['input_ids'].to(next(enc.parameters()).device)
            out = enc(input_ids=ids).last_hidden_state
        return out.to(self.device, self.dtype)

    @torch.no_grad()
    def encode_video(self, video: torch.Tensor, generator: torch.Generator | None = None
                     ) -> torch.Tensor:
        """(B, F, 3, H, W) in [-1, 1] -> (B, C, F, h, w) scaled latents (per frame,
        ``latent_dist.sample``)."""
        b, f = video.shape[:2]
        with self._use(self.vae) as vae:
            frames = video.flatten(0, 1).to(next(iter(vae.parameters()), video).device,
                                            self._vae_dtype())
            z = vae.encode(frames).latent_dist.sample(generator=generator)
        z = z.to(self.device, self.dtype) * self.vae.config.scaling_factor
        return z.unflatten(0, (b, f)).transpose(1, 2)

    @torch.no_grad()
    def decode_latents(self, z: torch.Tensor) -> torch.Tensor:
        """(B, C, F, h, w) -> (B, F, 3, H, W) in [-1, 1] (per frame)."""
        b, f = z.shape[0], z.shape[2]
        frames = z.transpose(1, 2).flatten(0, 1) / self.vae.config.scaling_factor
        with self._use(self.vae) as vae:
            dev = next(iter(vae.parameters()), frames).device
            x = vae.decode(frames.to(dev, self._vae_dtype())).sample
        return x.float().cpu().unflatten(0, (b, f))

    def _vae_dtype(self) -> torch.dtype:
        p = next(iter(self.vae.parameters()), None)
        return p.dtype if p is not None else self.dtype

    # ------------------------------------------------------------------ checks
    def _check(self, num_frames: int, guidance_scale: float) -> None:
        if not 1.0 <= float(guidance_scale) <= 50.0:
            raise ValueError(f'guidance_scale must be in [1, 50] (official 8.0; 1 = no '
                             f'guidance), got {guidance_scale}')
        if self.trained_frames and num_frames != self.trained_frames:
            warnings.warn(f'num_frames={num_frames} but the checkpoint was trained with '
                          f'{self.trained_frames} frames; the temporal attention may degrade',
                          stacklevel=3)

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def __call__(self, images: Sequence | torch.Tensor, prompt: str = '',
                 mask_type: str = 'first1', num_frames: int = 16,
                 height: int | None = None, width: int | None = None,
                 num_inference_steps: int | str = 250, guidance_scale: float = 8.0,
                 negative_prompt: str = '', generator: torch.Generator | None = None,
                 latents: torch.Tensor | None = None,
                 callback: Callable[[int, int], None] | None = None) -> SEINEPipelineOutput:
        """Generate a clip whose known frames (``mask_type``) come from ``images``.

        ``images``: scene images (PIL / HWC uint8 / tensors), or a (K, 3, H, W) tensor in
        [-1, 1] of frames already preprocessed (e.g. the last frames of a previous clip).
        ``firstN`` uses the first N (the last image repeated if fewer are given);
        ``onelastN`` the first and the last image, each N times.
        """
        parse_mask_type(mask_type)
        self._check(num_frames, guidance_scale)
        frames = self._given_frames(images, height, width)
        masked, mask = masked_video(frames, mask_type, num_frames)
        cond = self.encode_video(masked[None].to(self.device), generator)
        b, c, f, h, w = cond.shape
        lmask = mask.to(self.device, self.dtype)[None, None, :, None, None].expand(1, 1, f, h, w)
        text = self.encode_prompt([prompt, negative_prompt])
        self.scheduler.set_timesteps(num_inference_steps)
        x = latents if latents is not None else torch.randn(
            (1, c, f, h, w), generator=generator, device=generator.device if generator else 'cpu'
        ).to(self.device, self.dtype)
        steps = self.scheduler.timesteps
        with self._use(self.unet) as unet:
            for i, t in enumerate(steps):
                x_in = torch.cat([x, lmask, cond], dim=1)
                t_in = t.to(x.device)
                if guidance_scale == 1.0:
                    eps = unet(x_in, t_in, text[:1]).sample
                else:
                    eps = unet.forward_with_cfg(torch.cat([x_in, x_in]), t_in, text,
                                                guidance_scale)[:1]
                noise = torch.randn(x.shape, generator=generator,
                                    device=generator.device if generator else 'cpu')
                x = self.scheduler.step(eps.float(), t, x.float(),
                                        noise=noise.to(x.device)).prev_sample.to(self.dtype)
                if callback is not None:
                    callback(i + 1, len(steps))
        return SEINEPipelineOutput(frames=self.decode_latents(x), mask=mask)

    def _given_frames(self, images, height, width) -> torch.Tensor:
        if isinstance(images, torch.Tensor) and images.dim() == 4 and images.is_floating_point():
            return images.float().cpu()
        images = list(images) if not isinstance(images, (np.ndarray, torch.Tensor)) \
            or (hasattr(images, 'ndim') and images.ndim == 4) else [images]
        if not images:
            raise ValueError('give at least one scene image')
        if height is None or width is None:
            first = _as_float_image(images[0])
            height, width = height or first.shape[1], width or first.shape[2]
        return preprocess_images(images, (height, width))

    # ------------------------------------------------------------------ tasks
    def transition(self, first, last, prompt: str = 'smooth transition', **kwargs
                   ) -> SEINEPipelineOutput:
        """Frames from scene ``first`` to scene ``last`` (``onelast1``); the official prompt
        suffix ``'smooth transition.'`` is appended with no separator."""
        sizes = {tuple(_as_float_image(i).shape[1:]) for i in (first, last)
                 if not isinstance(i, torch.Tensor) or i.dtype == torch.uint8}
        if len(sizes) > 1 and (kwargs.get('height') is None or kwargs.get('width') is None):
            warnings.warn(f'scene images have different sizes {sorted(sizes)}: both are '
                          f'resized to the first one (pass height/width to choose)',
                          stacklevel=2)
        return self([first, last], prompt + PROMPT_SUFFIX['transition'],
                    mask_type=kwargs.pop('mask_type', 'onelast1'), **kwargs)

    def image_to_video(self, image, prompt: str = '', **kwargs) -> SEINEPipelineOutput:
        """A clip starting from ``image`` (``first1``; suffix ``', slow motion.'``)."""
        return self([image], prompt + PROMPT_SUFFIX['i2v'], mask_type='first1', **kwargs)

    def predict(self, image, num_clips: int = 2, given: int = 1, prompt: str = '',
                **kwargs) -> torch.Tensor:
        """Autoregressive prediction: clip k+1 starts from the last ``given`` frames of clip k
        (``first<given>``). Returns (F_total, 3, H, W); the repeated frames appear once."""
        out = self.image_to_video(image, prompt, **kwargs).frames[0]
        video = [out]
        for _ in range(num_clips - 1):
            out = self(out[-given:], prompt + PROMPT_SUFFIX['i2v'],
                       mask_type=f'first{given}', **kwargs).frames[0]
            video.append(out[given:])
        return torch.cat(video)

    def story(self, images: Sequence, prompts: Sequence[str], **kwargs) -> torch.Tensor:
        """Story mode: an image-to-video clip per scene and a generated transition between
        consecutive scenes (last frame of clip k -> scene k+1). Returns (F_total, 3, H, W)."""
        if len(images) != len(prompts):
            raise ValueError(f'story needs one prompt per scene image: {len(images)} images, '
                             f'{len(prompts)} prompts')
        parts = []
        for image, prompt in zip(images, prompts):
            clip = self.image_to_video(image, prompt, **kwargs).frames[0]
            if parts:  # transition from the previous clip's last frame to this scene
                first = parts[-1][-1:]
                size = first.shape[-2:]
                scene = preprocess_images([image], size)
                trans = self(torch.cat([first, scene]), 'smooth transition'
                             + PROMPT_SUFFIX['transition'], mask_type='onelast1',
                             **kwargs).frames[0]
                parts.append(trans[1:-1])
            parts.append(clip)
        return torch.cat(parts)
