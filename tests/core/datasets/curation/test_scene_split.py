"""Scene split on the synthetic long videos: cut recovery, still / extreme-motion drop, bad
files, cut clip files."""
import json
import os.path as osp

import av
import numpy as np
import pytest

from mmvideofm.datasets.curation import CurationError, SceneSplit, cut_clip, detect_scenes
from mmvideofm.datasets.synthetic.long_video import make_long_video
from mmvideofm.datasets.video_io import open_video, write_video


def boundary_f1(gt: list[int], det: list[int], tol: int = 2) -> float:
    """F1 of detected cut frames against the true ones, one-to-one matches within ``tol``."""
    used, tp = set(), 0
    for g in gt:
        near = [d for d in det if abs(d - g) <= tol and d not in used]
        if near:
            used.add(min(near, key=lambda d: abs(d - g)))
            tp += 1
    fp, fn = len(det) - tp, len(gt) - tp
    return 2 * tp / max(2 * tp + fp + fn, 1)


def test_long_video_is_deterministic_and_records_its_cuts():
    a, rec = make_long_video(3, seed=0)
    b, rec2 = make_long_video(3, seed=0)
    assert np.array_equal(a, b) and rec == rec2
    assert len(a) == rec['num_frames'] == rec['segments'][-1]['end_frame']
    assert rec['cuts'] == [s['start_frame'] for s in rec['segments'][1:]]
    assert len(rec['id']) == 11  # a YouTube-id-like key (DIV groups by 11 characters)


def test_cut_boundaries_recovered_with_f1_at_least_095(long_videos, curated):
    root, meta = long_videos
    work, _, _ = curated
    gt, det = [], []
    for n, v in enumerate(meta['videos']):  # one frame axis, videos 10000 frames apart
        with open(osp.join(work, 'stages', 'scenes', f'{v["id"]}.json')) as f:
            res = json.load(f)['result']
        gt += [c + 10000 * n for c in v['cuts']]
        det += [c + 10000 * n for c in res['cuts']]
    f1 = boundary_f1(gt, det)
    assert len(gt) >= 40
    assert f1 >= 0.95, f1


def test_still_and_shaky_segments_dropped_by_their_criteria(long_videos, curated):
    root, meta = long_videos
    work, summary, _ = curated
    seen = dict(still=0, shake=0)
    for v in meta['videos']:
        with open(osp.join(work, 'stages', 'scenes', f'{v["id"]}.json')) as f:
            res = json.load(f)['result']
        clips = res['clips'] + res['dropped']
        for seg in v['segments']:
            if seg['kind'] not in seen:
                continue
            # the clip that covers most of the segment
            best = max(clips, key=lambda c: min(c['end_frame'], seg['end_frame']) -
                       max(c['start_frame'], seg['start_frame']))
            want = 'still' if seg['kind'] == 'still' else 'extreme_motion'
            assert best.get('reason') == want, (v['id'], seg['start_frame'], best)
            seen[seg['kind']] += 1
    assert seen['still'] >= 3 and seen['shake'] >= 3, seen
    for c in (c for v in meta['videos'] for c in json.load(open(osp.join(
            work, 'stages', 'scenes', f'{v["id"]}.json')))['result']['clips']):
        assert 0.1 <= c['motion'] <= 12.0  # kept clips lie between the two thresholds
    dropped = summary['stages']['scenes']['clips_dropped']
    assert dropped['still'] >= seen['still'] and dropped['extreme_motion'] >= seen['shake']


def test_drop_reason_thresholds_and_duration_bounds():
    stage = SceneSplit(still_threshold=1.0, extreme_threshold=20.0, min_duration=1.0,
                       max_duration=30.0)
    assert stage.drop_reason(0.5, 5.0) == 'still'
    assert stage.drop_reason(25.0, 5.0) == 'extreme_motion'
    assert stage.drop_reason(5.0, 0.5) == 'too_short'
    assert stage.drop_reason(5.0, 31.0) == 'too_long'
    assert stage.drop_reason(5.0, 5.0) is None
    with pytest.raises(ValueError, match='still_threshold'):
        SceneSplit(still_threshold=5.0, extreme_threshold=2.0)


def _faststart_mp4(path: str, frames: np.ndarray) -> None:
    """An mp4 with its index first, so cutting its tail leaves a truncated, openable file."""
    with av.open(path, 'w', options={'movflags': 'faststart'}) as out:
        s = out.add_stream('libx264rgb', rate=8)
        s.width, s.height, s.pix_fmt = frames.shape[2], frames.shape[1], 'rgb24'
        s.options = {'crf': '0', 'preset': 'ultrafast', 'g': '4'}
        for f in frames:
            out.mux(s.encode(av.VideoFrame.from_ndarray(f, format='rgb24')))
        out.mux(s.encode())


def test_bad_files_raise_reasons(tmp_path):
    empty = tmp_path / 'empty.mp4'
    empty.write_bytes(b'')
    garbage = tmp_path / 'garbage.mp4'
    garbage.write_bytes(b'not a video at all' * 100)
    frames, _ = make_long_video(0, seed=0)
    full = str(tmp_path / 'full.mp4')
    _faststart_mp4(full, frames)
    data = open(full, 'rb').read()
    trunc = tmp_path / 'trunc.mp4'
    trunc.write_bytes(data[:len(data) // 2])
    for path, reason in [(empty, 'zero-length'), (garbage, 'unreadable'),
                         (trunc, 'truncated'), (tmp_path / 'none.mp4', 'missing')]:
        with pytest.raises(CurationError) as ei:
            detect_scenes(str(path), min_scene_len=4)
        assert ei.value.reason.startswith(reason), ei.value.reason
    assert detect_scenes(full, min_scene_len=4)['num_frames'] == len(frames)


def test_cut_files_copy_on_key_frames_else_reencode(tmp_path):
    frames, _ = make_long_video(1, seed=0)
    src = str(tmp_path / 'src.mp4')
    _faststart_mp4(src, frames)  # a key frame every 4 frames
    for start, end, mode in [(4, 13, 'copy'), (5, 13, 'reencode')]:
        dst = str(tmp_path / f'{start}.mp4')
        assert cut_clip(src, start, end, dst) == mode
        with open_video(dst, backend='pyav') as r:
            assert len(r) == end - start
            assert np.array_equal(r.get_frames(np.arange(end - start)), frames[start:end])
    # the pipeline stage writes them when asked
    write_video(str(tmp_path / 'v.mp4'), frames, fps=8)
    res = SceneSplit(min_scene_len=4, still_threshold=0.1, extreme_threshold=12.0,
                     output='cut', cut_dir=str(tmp_path / 'clips')).process(
        dict(key='v', path=str(tmp_path / 'v.mp4')), {})
    assert res['clips'] and all(osp.isfile(c['cut_path']) for c in res['clips'])
