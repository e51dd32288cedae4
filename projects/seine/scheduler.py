"""SEINE's diffusion: the ADM ``GaussianDiffusion`` of the official code as a diffusers-style
scheduler (linear betas 1e-4 -> 0.02 over T=1000, eps prediction, fixed-large variance,
``space_timesteps`` respacing, DDPM and DDIM steps), tables in float64 as upstream."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.schedulers.scheduling_utils import SchedulerMixin
from diffusers.utils import BaseOutput

from mmvideofm.registry import MODELS

__all__ = ['SEINEScheduler', 'SEINESchedulerOutput', 'space_timesteps', 'linear_betas']


def linear_betas(num_timesteps: int = 1000, beta_start: float = 1e-4,
                 beta_end: float = 0.02) -> np.ndarray:
    """ADM's linear schedule, scaled by 1000 / T (float64)."""
    scale = 1000 / num_timesteps
    return np.linspace(scale * beta_start, scale * beta_end, num_timesteps, dtype=np.float64)


def space_timesteps(num_timesteps: int, section_counts: str | int | list[int]) -> list[int]:
    """The kept timesteps of ADM's respacing, sorted: ``'250'`` -> ``round(i * 999 / 249)``;
    ``'10,15,20'`` -> per equal section; ``'ddimN'`` -> the integer stride giving N steps."""
    if isinstance(section_counts, str) and section_counts.startswith('ddim'):
        want = int(section_counts[len('ddim'):])
        for stride in range(1, num_timesteps):
            if len(range(0, num_timesteps, stride)) == want:
                return list(range(0, num_timesteps, stride))
        raise ValueError(f'cannot take exactly {want} steps with an integer stride out of '
                         f'{num_timesteps}')
    if isinstance(section_counts, int):
        section_counts = [section_counts]
    elif isinstance(section_counts, str):
        section_counts = [int(x) for x in section_counts.split(',')]
    size_per, extra = divmod(num_timesteps, len(section_counts))
    start, steps = 0, []
    for i, count in enumerate(section_counts):
        size = size_per + (1 if i < extra else 0)
        if size < count:
            raise ValueError(f'cannot take {count} steps out of a section of {size}')
        stride = 1 if count <= 1 else (size - 1) / (count - 1)
        cur = 0.0
        for _ in range(count):
            steps.append(start + round(cur))  # Python's round: half to even
            cur += stride
        start += size
    return sorted(set(steps))


class _Tables:
    """The float64 tables of ``GaussianDiffusion`` for a beta sequence."""

    def __init__(self, betas: np.ndarray) -> None:
        self.betas = betas
        alphas = 1.0 - betas
        self.alphas_cumprod = ac = np.cumprod(alphas, axis=0)
        self.alphas_cumprod_prev = prev = np.append(1.0, ac[:-1])
        self.sqrt_alphas_cumprod = np.sqrt(ac)
        self.sqrt_one_minus_alphas_cumprod = np.sqrt(1.0 - ac)
        self.sqrt_recip_alphas_cumprod = np.sqrt(1.0 / ac)
        self.sqrt_recipm1_alphas_cumprod = np.sqrt(1.0 / ac - 1)
        self.posterior_variance = pv = betas * (1.0 - prev) / (1.0 - ac)
        self.posterior_log_variance_clipped = (np.log(np.append(pv[1], pv[1:]))
                                               if len(pv) > 1 else np.array([]))
        self.posterior_mean_coef1 = betas * np.sqrt(prev) / (1.0 - ac)
        self.posterior_mean_coef2 = (1.0 - prev) * np.sqrt(alphas) / (1.0 - ac)
        # FIXED_LARGE: beta_t, with the posterior variance at t=0 (ADM)
        self.fixed_large_variance = np.append(pv[1], betas[1:]) if len(pv) > 1 else betas
        self.fixed_large_log_variance = np.log(self.fixed_large_variance)

    def extract(self, name: str, index: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """``table[index]`` in float32 broadcast to ``like`` (ADM ``_extract_into_tensor``)."""
        table = torch.from_numpy(getattr(self, name)).to(like.device)
        res = table[index.to(like.device)].float()
        return res.view(-1, *([1] * (like.dim() - 1))).expand(like.shape).to(like.dtype)


@dataclass
class SEINESchedulerOutput(BaseOutput):
    """``prev_sample`` x_{t-1}; ``pred_original_sample`` x_0; ``mean``, ``variance``,
    ``log_variance`` of p(x_{t-1} | x_t) (DDPM)."""

    prev_sample: torch.Tensor
    pred_original_sample: torch.Tensor
    mean: torch.Tensor | None = None
    variance: torch.Tensor | None = None
    log_variance: torch.Tensor | None = None


@MODELS.register_module()
class SEINEScheduler(SchedulerMixin, ConfigMixin):
    """ADM Gaussian diffusion as a diffusers scheduler (official SEINE sampling defaults).

    Args:
        num_train_timesteps: T (1000).
        beta_start / beta_end: linear schedule ends (before the 1000 / T scaling).
        sampler: ``'ddpm'`` (official default, ``p_sample``) or ``'ddim'`` (``ddim_sample``).
        eta: DDIM eta (0: deterministic).
        clip_sample: clamp x_0 to [-1, 1] (official: ``clip_denoised=False``).
        prediction_type: what the UNet predicts: ``'epsilon'`` (official) or ``'sample'``
            (x_0; used by the tiny pixel-space demo, not by SEINE).
    """

    order = 1

    @register_to_config
    def __init__(self, num_train_timesteps: int = 1000, beta_start: float = 1e-4,
                 beta_end: float = 0.02, sampler: str = 'ddpm', eta: float = 0.0,
                 clip_sample: bool = False, prediction_type: str = 'epsilon') -> None:
        if sampler not in ('ddpm', 'ddim'):
            raise ValueError(f"sampler must be 'ddpm' or 'ddim', got {sampler!r}")
        if prediction_type not in ('epsilon', 'sample'):
            raise ValueError(f"prediction_type must be 'epsilon' or 'sample', got "
                             f'{prediction_type!r}')
        self.base = _Tables(linear_betas(num_train_timesteps, beta_start, beta_end))
        self.set_timesteps(num_train_timesteps)

    # ------------------------------------------------------------------ respacing
    def set_timesteps(self, num_inference_steps: int | str | None = None,
                      device: torch.device | str | None = None) -> None:
        """Respace to ``num_inference_steps`` (int, ``'10,15,20'`` or ``'ddimN'``)."""
        T = self.config.num_train_timesteps
        spec = T if num_inference_steps in (None, '') else num_inference_steps
        kept = space_timesteps(T, spec if isinstance(spec, str) else int(spec))
        last, betas = 1.0, []
        for i in kept:
            betas.append(1 - self.base.alphas_cumprod[i] / last)
            last = self.base.alphas_cumprod[i]
        self.tables = _Tables(np.array(betas, dtype=np.float64))
        self.timestep_map = torch.tensor(kept, dtype=torch.int64)
        self.num_inference_steps = len(kept)
        self.timesteps = self.timestep_map.flip(0).to(device or 'cpu')

    def index_of(self, timestep: torch.Tensor | int) -> torch.Tensor:
        """Respaced index of an original timestep (the UNet sees the original one)."""
        t = torch.as_tensor(timestep).reshape(-1).cpu()
        idx = torch.searchsorted(self.timestep_map, t)
        if (idx >= len(self.timestep_map)).any() or (self.timestep_map[idx.clamp(
                max=len(self.timestep_map) - 1)] != t).any():
            raise ValueError(f'timestep {t.tolist()} is not one of the respaced timesteps; '
                             f'call set_timesteps first and use scheduler.timesteps')
        return idx

    def scale_model_input(self, sample: torch.Tensor, timestep=None) -> torch.Tensor:
        return sample

    # ------------------------------------------------------------------ sampling
    def step(self, model_output: torch.Tensor, timestep: torch.Tensor | int,
             sample: torch.Tensor, generator: torch.Generator | None = None,
             noise: torch.Tensor | None = None, return_dict: bool = True
             ) -> SEINESchedulerOutput | tuple:
        """One reverse step from x_t (``sample``) with predicted eps (``model_output``)."""
        tab = self.tables
        idx = self.index_of(timestep).to(sample.device)
        if idx.numel() == 1:
            idx = idx.expand(sample.shape[0])
        x, eps = sample, model_output
        if self.config.prediction_type == 'sample':
            pred_x0 = model_output
        else:
            pred_x0 = (tab.extract('sqrt_recip_alphas_cumprod', idx, x) * x
                       - tab.extract('sqrt_recipm1_alphas_cumprod', idx, x) * eps)
        if self.config.clip_sample:
            pred_x0 = pred_x0.clamp(-1, 1)
        if noise is None:
            noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        nonzero = (idx != 0).to(x.dtype).view(-1, *([1] * (x.dim() - 1)))
        if self.config.sampler == 'ddpm':
            mean = (tab.extract('posterior_mean_coef1', idx, x) * pred_x0
                    + tab.extract('posterior_mean_coef2', idx, x) * x)
            var = tab.extract('fixed_large_variance', idx, x)
            log_var = tab.extract('fixed_large_log_variance', idx, x)
            prev = mean + nonzero * torch.exp(0.5 * log_var) * noise
            out = SEINESchedulerOutput(prev, pred_x0, mean, var, log_var)
        else:
            eps = ((tab.extract('sqrt_recip_alphas_cumprod', idx, x) * x - pred_x0)
                   / tab.extract('sqrt_recipm1_alphas_cumprod', idx, x))
            abar = tab.extract('alphas_cumprod', idx, x)
            abar_prev = tab.extract('alphas_cumprod_prev', idx, x)
            sigma = (self.config.eta * torch.sqrt((1 - abar_prev) / (1 - abar))
                     * torch.sqrt(1 - abar / abar_prev))
            mean = pred_x0 * torch.sqrt(abar_prev) + torch.sqrt(1 - abar_prev - sigma ** 2) * eps
            out = SEINESchedulerOutput(mean + nonzero * sigma * noise, pred_x0, mean)
        return out if return_dict else (out.prev_sample, )

    # ------------------------------------------------------------------ training
    def add_noise(self, original_samples: torch.Tensor, noise: torch.Tensor,
                  timesteps: torch.Tensor) -> torch.Tensor:
        """q(x_t | x_0) of the 1000-step training diffusion (``q_sample``)."""
        t = timesteps.reshape(-1)
        if t.numel() == 1:
            t = t.expand(original_samples.shape[0])
        return (self.base.extract('sqrt_alphas_cumprod', t, original_samples) * original_samples
                + self.base.extract('sqrt_one_minus_alphas_cumprod', t, original_samples)
                * noise)

    def __len__(self) -> int:
        return self.config.num_train_timesteps
