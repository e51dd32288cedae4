"""VideoChat2 (https://arxiv.org/abs/2311.17005) as an mmvideofm plugin."""
from . import benchmarks, converter  # noqa: F401  (benchmark, converter registrations)
from .models import *  # noqa: F401,F403
from .mvbench import VideoChat2MVBenchAnswerer  # noqa: F401
