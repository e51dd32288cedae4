"""Harvest (https://arxiv.org/abs/2310.19554): CLIP -> video post-pretraining, as a plugin."""
import mmvideofm.evaluation  # noqa: F401  (VideoTextRetrievalMetric and the retrieval loops)

from . import benchmarks, converter  # noqa: F401  (converters, HarvestPretrained, benchmarks)
from .models import *  # noqa: F401,F403
