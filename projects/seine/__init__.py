"""SEINE: short-to-long video diffusion with random masks (https://arxiv.org/abs/2310.20700).

Registers ``SEINEUNet``, ``SEINEScheduler`` and the ``seine``, ``seine/sd14``, ``seine/lavie``
checkpoint converters.
"""
import mmvideofm  # noqa: F401  (compat shims, core registrations)

from . import converter  # noqa: F401  (registers the converters)
from .masks import RandomMaskSampler, latent_mask, mask_generation_before
from .models import SEINEUNet, TemporalAttention
from .scheduler import SEINEScheduler, space_timesteps

__all__ = ['RandomMaskSampler', 'SEINEScheduler', 'SEINEUNet', 'TemporalAttention',
           'latent_mask', 'mask_generation_before', 'space_timesteps']
