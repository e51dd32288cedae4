"""Algorithm bases shared by the plugins (the paper-specific parts live in the plugins)."""
from .base import BaseVideoAlgorithm, build_data_preprocessor, build_teacher
from .distiller import LogitDistiller
from .video_text import VideoTextPretrainer

__all__ = ['BaseVideoAlgorithm', 'LogitDistiller', 'VideoTextPretrainer',
           'build_data_preprocessor', 'build_teacher']
