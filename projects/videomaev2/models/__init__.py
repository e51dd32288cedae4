from .decoder import VideoMAEv2Decoder
from .distill import LogitDistiller
from .videomaev2 import VideoMAEv2

__all__ = ['LogitDistiller', 'VideoMAEv2', 'VideoMAEv2Decoder']
