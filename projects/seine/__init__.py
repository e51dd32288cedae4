"""SEINE: short-to-long video diffusion with random masks (https://arxiv.org/abs/2310.20700).

Registers ``SEINE`` (random-mask training), ``SEINEUNet``, ``SEINEScheduler``, the
``SEINEPretrained`` initializer, ``SEINETransitionMetric`` and the ``seine``, ``seine/sd14``,
``seine/lavie`` checkpoint converters.
"""
import mmvideofm  # noqa: F401  (compat shims, core registrations)

from . import converter, init, metrics  # noqa: F401  (converters, initializer, metric)
from .masks import RandomMaskSampler, latent_mask, mask_generation_before
from .models import SEINE, SEINEUNet, TemporalAttention
from .scheduler import SEINEScheduler, space_timesteps

__all__ = ['SEINE', 'RandomMaskSampler', 'SEINEScheduler', 'SEINEUNet', 'TemporalAttention',
           'latent_mask', 'mask_generation_before', 'space_timesteps']
