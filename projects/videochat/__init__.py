"""VideoChat (https://arxiv.org/abs/2305.06355) as an mmvideofm plugin: VideoChat-Embed and
VideoChat-Text."""
from . import converter  # noqa: F401  (converter registrations)
from .models import *  # noqa: F401,F403
from .mvbench import VideoChatMVBenchAnswerer  # noqa: F401
from .text_mcq import (  # noqa: F401
    BuildVideoChatTextMCQ,
    VideoChatTextLM,
    VideoChatTextMCQDataset,
    VideoChatTextMVBenchAnswerer,
)
from .transforms import InstructionAsQuestion  # noqa: F401
