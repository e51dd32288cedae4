"""VideoChat2 (https://arxiv.org/abs/2311.17005) as an mmvideofm plugin."""
from .models import *  # noqa: F401,F403
