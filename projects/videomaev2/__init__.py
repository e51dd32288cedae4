"""VideoMAE V2 (https://arxiv.org/abs/2303.16727) for mmvideofm.

Registers: ``VideoMAEv2`` (dual-masking pre-training), ``VideoMAEv2Decoder``,
``LogitDistiller``, the ``VideoMAEv2Pretrained`` weight initializer, the ``videomaev2`` and
``videomaev2/k710to400`` checkpoint converters and the ``videomaev2/pretrain_step`` benchmark.
"""
import mmvideofm  # noqa: F401  (compat shims, core registrations)
import mmvideofm.engine  # noqa: F401  (the FSDP wrap policy of the _fsdp config)
import mmvideofm.models  # noqa: F401

from . import benchmarks  # noqa: F401
from .converter import convert_k710_to_k400, convert_videomaev2, detect_layout
from .init import VideoMAEv2PretrainedInit, load_videomaev2_weights
from .models import LogitDistiller, VideoMAEv2, VideoMAEv2Decoder

__all__ = ['LogitDistiller', 'VideoMAEv2', 'VideoMAEv2Decoder', 'VideoMAEv2PretrainedInit',
           'convert_k710_to_k400', 'convert_videomaev2', 'detect_layout',
           'load_videomaev2_weights']
