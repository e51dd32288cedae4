"""Temporal transforms on decoded frames."""
from __future__ import annotations

from mmcv.transforms import BaseTransform

from mmvideofm.registry import TRANSFORMS

__all__ = ['RepeatFrame']


@TRANSFORMS.register_module()
class RepeatFrame(BaseTransform):
    """Replace every decoded frame by one of them (default: the middle one), keeping the
    clip length: the one-frame baseline of a video model (what a single frame gives).

    Args:
        index: Position in the sampled frames (``imgs``); None = ``len(imgs) // 2``.
    """

    def __init__(self, index: int | None = None) -> None:
        self.index = index

    def transform(self, results: dict) -> dict:
        if 'imgs' not in results:
            raise KeyError('RepeatFrame needs decoded frames (results["imgs"]); put it after '
                           'VideoDecode / the decoding transform')
        imgs = results['imgs']
        idx = len(imgs) // 2 if self.index is None else self.index
        if not -len(imgs) <= idx < len(imgs):
            raise IndexError(f'RepeatFrame index {idx} out of range for {len(imgs)} frames')
        results['imgs'] = [imgs[idx]] * len(imgs)
        if 'frame_inds' in results:
            results['frame_inds'] = results['frame_inds'].copy()
            results['frame_inds'][...] = results['frame_inds'].reshape(-1)[idx]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(index={self.index})'
