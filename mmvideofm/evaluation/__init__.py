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
from .zero_shot import (  # noqa: E402
    ACTIONCLIP_TEMPLATES,
    ZeroShotClassificationMetric,
    ZeroShotTestLoop,
    ZeroShotValLoop,
    build_prompts,
    zero_shot_scores,
)

__all__ += ['ACTIONCLIP_TEMPLATES', 'ZeroShotClassificationMetric', 'ZeroShotValLoop',
            'ZeroShotTestLoop', 'build_prompts', 'zero_shot_scores']
