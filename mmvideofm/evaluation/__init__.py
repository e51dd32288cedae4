"""Metrics and evaluation loops shared by the plugins."""
from .retrieval import (
    VideoTextRetrievalMetric,
    VideoTextRetrievalTestLoop,
    VideoTextRetrievalValLoop,
    dual_softmax,
    retrieval_recall,
)

__all__ = ['VideoTextRetrievalMetric', 'VideoTextRetrievalValLoop', 'VideoTextRetrievalTestLoop',
           'retrieval_recall', 'dual_softmax']
