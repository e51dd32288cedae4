"""UMT: Unmasked Teacher (https://arxiv.org/abs/2303.16058) as an mmvideofm plugin."""
import mmvideofm.evaluation  # noqa: F401  (RetrievalMetric and the retrieval loops)

from . import benchmarks, converter, init  # noqa: F401  (converter, benchmarks, initializer)
from .models import *  # noqa: F401,F403
