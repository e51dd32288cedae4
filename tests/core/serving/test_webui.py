"""Web UI helpers (the app itself is driven in a browser by tests/tools/test_chat_ui.py)."""
from __future__ import annotations

import numpy as np

from mmvideofm.datasets.video_io import open_video
from mmvideofm.serving.webui import build_ui, gallery_frames, make_sample_videos

from .conftest import EchoGeneration, ScriptedSession


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


def test_generation_settings_reach_the_session(tmp_path):
    """The settings panel's values go to the session's ``stream``; temperature and top-p
    only when sampling."""
    from types import SimpleNamespace

    from mmvideofm.serving.uploads import UploadStore
    demo = build_ui(EchoGeneration, UploadStore(str(tmp_path)))
    on_ask = next(f.fn for f in demo.fns.values() if f.fn.__name__ == 'on_ask')
    state = {'session': EchoGeneration(), 'media': SimpleNamespace(original_name='v.mp4')}

    def answer(*settings) -> str:
        *_, (history, _, status) = on_ask('q', [], state, *settings)
        assert '1 turn(s) so far' in status
        return history[-1]['content']

    assert answer(7, False, 0.5, 0.8, 1.1) == (
        "[('do_sample', False), ('max_new_tokens', 7), ('repetition_penalty', 1.1)]")
    assert answer(9, True, 0.5, 0.8, 1.0) == (
        "[('do_sample', True), ('max_new_tokens', 9), ('repetition_penalty', 1.0), "
        "('temperature', 0.5), ('top_p', 0.8)]")
