"""Datasets, transforms and video I/O (importing this registers them)."""
from .hooks import BadSampleReportHook
from .instruction import (
    BuildConversation,
    CaptionDataset,
    InstructionDataset,
    InstructionSampleFrames,
)
from .repeat_aug_dataset import VideoRepeatAugDataset
from .synthetic_dataset import SyntheticVideoDataset
from .transforms import ArrayVideoReader, ShortVideoError, VideoDecode, VideoInit, VideoSampleFrames
from .video_io import VideoReader, VideoReadError, open_video, write_frames, write_video
from .video_list_dataset import SkipBadSamplesMixin, VideoListDataset

__all__ = [
    'VideoReader', 'VideoReadError', 'ShortVideoError', 'open_video', 'write_video',
    'write_frames', 'ArrayVideoReader', 'VideoInit', 'VideoDecode', 'VideoSampleFrames',
    'VideoListDataset', 'VideoRepeatAugDataset', 'SyntheticVideoDataset', 'SkipBadSamplesMixin',
    'BadSampleReportHook', 'InstructionDataset', 'CaptionDataset', 'InstructionSampleFrames',
    'BuildConversation',
]
from .video_text_jsonl import ClipWindow, VideoTextJsonlDataset  # noqa: E402

__all__ += ['VideoTextJsonlDataset', 'ClipWindow']
from .video_text_shards import VideoTextShardDataset  # noqa: E402

__all__ += ['VideoTextShardDataset']
