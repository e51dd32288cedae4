"""Harvest (https://arxiv.org/abs/2310.19554): CLIP -> video post-pretraining, as a plugin."""
import mmvideofm.evaluation  # noqa: F401  (VideoTextRetrievalMetric and the retrieval loops)

from . import converter  # noqa: F401  (converters harvest, harvest/clip; HarvestPretrained)
from .models import *  # noqa: F401,F403
