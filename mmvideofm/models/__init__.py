"""mmvideofm models: shared layers, backbones, heads and losses.

Importing this also imports ``mmaction.models`` so mmaction2 types (Recognizer3D,
TimeSformerHead, ...) are registered for our configs (``mmvideofm/__init__`` has already
applied the compat shims that import needs).
"""
import mmaction.models  # noqa: F401

from . import algorithms, backbones, heads, layers, llm, losses, text  # noqa: F401
from .backbones import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
