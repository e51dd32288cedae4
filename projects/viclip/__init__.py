"""ViCLIP (InternVid, https://arxiv.org/abs/2307.06942) as an mmvideofm plugin."""
import mmvideofm.evaluation  # noqa: F401  (retrieval and zero-shot metrics, loops)

from . import benchmarks, converter, transforms, wise_ft  # noqa: F401  (registrations)
from .models import *  # noqa: F401,F403
