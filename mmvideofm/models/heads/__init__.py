"""Shared heads (plugins add ``from .x import *`` lines)."""
from .align_head import *  # noqa: F401,F403
from .mlm_head import *  # noqa: F401,F403
from .vtm_head import *  # noqa: F401,F403
