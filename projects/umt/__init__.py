"""UMT: Unmasked Teacher (https://arxiv.org/abs/2303.16058) as an mmvideofm plugin."""
import mmvideofm.evaluation  # noqa: F401  (VideoTextRetrievalMetric and the retrieval loops)

from . import benchmarks, converter, init  # noqa: F401  (converter, benchmarks, initializer)
from .models import *  # noqa: F401,F403
from .patch_accuracy import PatchAccuracy  # noqa: F401
