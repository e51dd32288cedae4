from mmvideofm.models.algorithms import LogitDistiller  # the generic distiller, in the core

from .decoder import VideoMAEv2Decoder
from .videomaev2 import VideoMAEv2

__all__ = ['LogitDistiller', 'VideoMAEv2', 'VideoMAEv2Decoder']
