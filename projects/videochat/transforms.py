"""Data transforms of the VideoChat plugin."""
from __future__ import annotations

from mmcv.transforms import BaseTransform

from mmvideofm.registry import TRANSFORMS

__all__ = ['InstructionAsQuestion']


@TRANSFORMS.register_module()
class InstructionAsQuestion(BaseTransform):
    """Move a QA turn's instruction ``i`` into an empty question ``q`` (before
    ``BuildConversation``): VideoChat v1 has no instruction input, so caption rows
    (``{'i': 'Describe the video.', 'q': '', 'a': caption}``) become the stage-1 caption
    conversation ``###Human: <Video>...</Video> msg###Human: Describe the video.###Assistant:
    caption###`` (the v1 template keeps empty questions, which breaks the label rule)."""

    def transform(self, results: dict) -> dict:
        if 'qa' not in results:
            raise KeyError("InstructionAsQuestion needs 'qa' (an InstructionDataset sample)")
        results['qa'] = [dict(t, q=t.get('i', ''), i='') if not t.get('q') else dict(t)
                         for t in results['qa']]
        return results
