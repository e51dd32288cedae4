"""Metrics and evaluation loops shared by the plugins."""
from .retrieval import (
    RetrievalMetric,
    RetrievalTestLoop,
    RetrievalValLoop,
    dual_softmax,
    retrieval_recall,
)

__all__ = ['RetrievalMetric', 'RetrievalValLoop', 'RetrievalTestLoop', 'retrieval_recall',
           'dual_softmax']
