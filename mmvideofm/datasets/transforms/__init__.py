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
from .synthetic_targets import SyntheticPatchColorTargets, SyntheticPatchShapeTargets
from .temporal import RepeatFrame

__all__ = ['VideoInit', 'VideoDecode', 'VideoSampleFrames', 'ShortVideoError',
           'ArrayVideoReader', 'SHORT_VIDEO_POLICIES', 'VideoRandAugment',
           'SyntheticPatchShapeTargets', 'SyntheticPatchColorTargets', 'RepeatFrame']
