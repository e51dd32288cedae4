"""Data transforms registered in ``mmvideofm.registry.TRANSFORMS``."""
from .augment import VideoRandAugment
from .loading import (
    SHORT_VIDEO_POLICIES,
    ArrayVideoReader,
    ShortVideoError,
    VideoDecode,
    VideoInit,
    VideoSampleFrames,
)

__all__ = ['VideoInit', 'VideoDecode', 'VideoSampleFrames', 'ShortVideoError',
           'ArrayVideoReader', 'SHORT_VIDEO_POLICIES', 'VideoRandAugment']
