"""MVBench frame sampling: the official 16-segment midpoint rule, bit-exact.

``get_index`` reproduces ``MVBench_dataset.get_index(bound, fps, max_frame, first_idx)``:
Python ``round`` for the window ends and ``np.round`` for the offsets (both round half
to even), then ``int`` (truncation toward zero). It is kept out-of-range-faithful: when a
bound starts after the clamped end the segment size is negative and the returned
indices leave the video, exactly as the notebook computes them (decord then fails;
``frames_in_range`` lets the loader report that instead of crashing).
"""
from collections.abc import Sequence

import numpy as np

__all__ = ['get_index', 'get_index_demo', 'reader_params', 'frames_in_range']

# (fps override, first index, max_frame = count - offset) per official reader
_READERS = {
    'video': dict(fps=None, first_idx=0, last_offset=1),  # decord: max_frame = len - 1
    'frame': dict(fps=3.0, first_idx=1, last_offset=0),  # JPEG folder: max_frame = n_files
    'gif': dict(fps=25.0, first_idx=0, last_offset=1),  # unused by the 20 tasks
}


def get_index(bound: Sequence[float] | None, fps: float, max_frame: int, first_idx: int = 0,
              num_segments: int = 16) -> list[int]:
    """Official MVBench frame indices (segment midpoints inside ``bound`` seconds)."""
    if bound:
        start, end = bound[0], bound[1]
    else:
        start, end = -100000, 100000
    start_idx = max(first_idx, round(start * fps))  # Python round: half to even
    end_idx = min(round(end * fps), max_frame)
    seg_size = float(end_idx - start_idx) / num_segments
    return [int(start_idx + seg_size / 2 + np.round(seg_size * i)) for i in range(num_segments)]


def get_index_demo(num_frames: int, num_segments: int) -> list[int]:
    """The demo ``load_video`` rule (``seg=(N-1)/T``). NOT the MVBench protocol; documented
    here only so the two are not confused."""
    seg_size = float(num_frames - 1) / num_segments
    start = int(seg_size / 2)
    return [start + int(np.round(seg_size * i)) for i in range(num_segments)]


def reader_params(reader: str, num_frames: int, fps: float | None = None) -> dict:
    """``fps``, ``max_frame`` and ``first_idx`` the official reader passes to ``get_index``.

    Args:
        reader: 'video', 'frame' or 'gif'.
        num_frames: frames in the video (decord ``len``) or files in the frame folder.
        fps: the video's average fps (ignored for 'frame' = 3 and 'gif' = 25).
    """
    if reader not in _READERS:
        raise ValueError(f'reader must be one of {sorted(_READERS)}, got {reader!r}')
    r = _READERS[reader]
    out_fps = r['fps'] if r['fps'] is not None else float(fps)
    return dict(fps=out_fps, max_frame=num_frames - r['last_offset'], first_idx=r['first_idx'])


def frames_in_range(indices: Sequence[int], reader: str, num_frames: int) -> bool:
    """Whether every index names an existing frame (frame folders are 1-based)."""
    lo = _READERS[reader]['first_idx']
    hi = num_frames - 1 + lo
    return all(lo <= i <= hi for i in indices)
