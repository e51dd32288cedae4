"""UMT: Unmasked Teacher (https://arxiv.org/abs/2303.16058) as an mmvideofm plugin."""
from . import benchmarks, converter, init  # noqa: F401  (converter, benchmarks, initializer)
from .metrics import UMTRetrievalMetric, retrieval_recall  # noqa: F401
from .models import *  # noqa: F401,F403
from .patch_accuracy import PatchAccuracy  # noqa: F401
