"""Point-NN / Point-PN plugin (https://arxiv.org/abs/2303.08134)."""
from . import models  # noqa: F401
