"""Web UI helpers (the app itself is driven in a browser by tests/tools/test_chat_ui.py)."""
from __future__ import annotations

import numpy as np

from mmvideofm.datasets.video_io import open_video
from mmvideofm.serving.webui import build_ui, gallery_frames, make_sample_videos

from .conftest import ScriptedSession


def test_gallery_frames_enlarges_small_frames_and_thins_long_videos():
    frames = np.arange(40 * 8 * 6 * 3, dtype=np.uint8).reshape(40, 8, 6, 3)
    shown = gallery_frames(frames, max_frames=16, min_side=24)
    assert [c for _, c in shown] == [f'frame {i}' for i in range(0, 40, 3)]
    first = shown[0][0]
    assert first.shape == (32, 24, 3)  # x4: the short side reaches 24
    assert (first[::4, ::4] == frames[0]).all()


def test_sample_videos_are_written_once(tmp_path):
    paths = make_sample_videos(str(tmp_path), num=2, num_frames=8, size=16)
    with open_video(paths[1]) as r:
        assert len(r) == 8 and r.get_frames([0]).shape == (1, 16, 16, 3)
    mtime = [p.stat().st_mtime_ns for p in sorted(tmp_path.iterdir())]
    assert make_sample_videos(str(tmp_path), num=2, num_frames=8, size=16) == paths
    assert [p.stat().st_mtime_ns for p in sorted(tmp_path.iterdir())] == mtime


def test_build_ui(tmp_path):
    from mmvideofm.serving.uploads import UploadStore
    demo = build_ui(ScriptedSession, UploadStore(str(tmp_path)), samples=['a/b.mp4'])
    ids = {getattr(b, 'elem_id', None) for b in demo.blocks.values()}
    assert {'upload', 'sample', 'status', 'frames', 'chatbot', 'question', 'send', 'clear',
            'reset'} <= ids
