"""Cut a frame range out of a video with PyAV: stream copy when possible, else re-encode."""
from __future__ import annotations

import os
import os.path as osp
import tempfile

import numpy as np

from ..video_io import open_video, write_video

__all__ = ['cut_clip', 'clip_bytes']


def _stream_copy(src: str, start: int, end: int, dst: str) -> bool:
    """Remux the packets of frames ``[start, end)``; False when that would not decode alone
    (the clip does not start on a key frame, or the stream reorders frames)."""
    import av
    with av.open(src) as inp:
        stream = inp.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        if not rate or stream.codec_context.has_b_frames:
            return False
        packets = sorted((p for p in inp.demux(stream) if p.size > 0 and p.pts is not None),
                         key=lambda p: p.pts)
        if len(packets) < end:
            return False
        chosen = packets[start:end]
        if not chosen or not chosen[0].is_keyframe:
            return False
        base = chosen[0].pts
        os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
        with av.open(dst, 'w') as out:
            ostream = out.add_stream_from_template(stream)
            for p in chosen:
                p.pts -= base
                p.dts = p.pts
                p.stream = ostream
                out.mux(p)
    return True


def cut_clip(src: str, start_frame: int, end_frame: int, dst: str,
             allow_copy: bool = True) -> str:
    """Write frames ``[start_frame, end_frame)`` of ``src`` to ``dst`` (mp4).

    Returns ``'copy'`` (packets remuxed, no re-encode: the clip starts on a key frame and the
    codec does not reorder frames) or ``'reencode'`` (decoded and encoded with
    :func:`~mmvideofm.datasets.video_io.write_video`, lossless where libx264rgb exists).
    """
    if end_frame <= start_frame:
        raise ValueError(f'empty frame range [{start_frame}, {end_frame}) of {src!r}')
    if allow_copy:
        try:
            if _stream_copy(src, start_frame, end_frame, dst):
                return 'copy'
        except Exception:  # noqa: BLE001 - any remux problem: fall back to re-encoding
            if osp.exists(dst):
                os.remove(dst)
    with open_video(src) as reader:
        frames = reader.get_frames(np.arange(start_frame, end_frame))
        fps = reader.fps or 8.0
    write_video(dst, frames, fps=fps)
    return 'reencode'


def clip_bytes(src: str, start_frame: int, end_frame: int) -> bytes:
    """The mp4 bytes of frames ``[start_frame, end_frame)`` of ``src`` (for shards)."""
    with tempfile.TemporaryDirectory() as tmp:
        dst = osp.join(tmp, 'clip.mp4')
        cut_clip(src, start_frame, end_frame, dst)
        with open(dst, 'rb') as f:
            return f.read()
