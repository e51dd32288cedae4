"""Algorithm bases shared by the plugins (the paper-specific parts live in the plugins)."""
from .base import BaseVideoAlgorithm, build_data_preprocessor, build_teacher

__all__ = ['BaseVideoAlgorithm', 'build_data_preprocessor', 'build_teacher']
