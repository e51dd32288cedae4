"""UMT: Unmasked Teacher (https://arxiv.org/abs/2303.16058) as an mmvideofm plugin."""
from . import converter  # noqa: F401  (registers the 'umt' converter)
from .metrics import UMTRetrievalMetric, retrieval_recall  # noqa: F401
from .models import *  # noqa: F401,F403
