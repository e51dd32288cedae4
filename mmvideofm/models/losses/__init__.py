"""Shared losses (plugins add ``from .x import *`` lines)."""

from .align_loss import *  # noqa: F401,F403
from .distill_loss import *  # noqa: F401,F403
from .pixel_loss import *  # noqa: F401,F403
from .vision_text_loss import *  # noqa: F401,F403
