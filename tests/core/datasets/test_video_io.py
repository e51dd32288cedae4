import os

import numpy as np
import pytest

from mmvideofm.datasets.video_io import (
    FrameFolderReader,
    VideoReadError,
    available_video_codecs,
    open_video,
    write_frames,
    write_video,
)


@pytest.mark.parametrize('backend', ['auto', 'decord', 'pyav'])
def test_mp4_roundtrip_all_backends(mp4, frames, backend):
    with open_video(mp4, backend=backend) as r:
        assert len(r) == len(frames)
        assert r.fps == pytest.approx(10.0)
        out = r.get_frames([0, 5, 11, 5])
    assert out.dtype == np.uint8 and out.shape == (4, 24, 32, 3)
    expected = frames[[0, 5, 11, 5]]
    if available_video_codecs()[0] == 'libx264rgb':  # lossless
        np.testing.assert_array_equal(out, expected)
    else:
        assert np.abs(out.astype(int) - expected).max() <= 3


def test_write_video_codecs(tmp_path, frames):
    codecs = available_video_codecs()
    assert codecs, 'PyAV should provide at least one encoder'
    for codec in codecs:
        if codec == 'mpeg4':
            continue
        p = write_video(str(tmp_path / f'{codec}.mp4'), frames, fps=8, codec=codec)
        with open_video(p, backend='pyav') as r:
            got = r.get_frames(range(len(frames)))
        assert np.abs(got.astype(int) - frames).max() <= 3
    with pytest.raises(ValueError, match='uint8'):
        write_video(str(tmp_path / 'x.mp4'), frames.astype(np.float32))
    with pytest.raises(ValueError, match='T, H, W, 3'):
        write_video(str(tmp_path / 'x.mp4'), frames[0])


def test_index_out_of_range(mp4):
    with open_video(mp4) as r, pytest.raises(IndexError, match='out of range'):
        r.get_frames([0, 12])


def test_pyav_fallback_when_decord_fails_to_decode(mp4, frames, monkeypatch):
    import decord

    class Broken:
        def __init__(self, *a, **k):
            self._vr = real(*a, **k)

        def __len__(self):
            return len(self._vr)

        def get_avg_fps(self):
            return self._vr.get_avg_fps()

        def get_batch(self, inds):
            raise RuntimeError('simulated decord decode failure')

    real = decord.VideoReader
    monkeypatch.setattr(decord, 'VideoReader', Broken)
    r = open_video(mp4)  # auto
    out = r.get_frames([3])
    assert r.backend == 'pyav'
    assert np.abs(out[0].astype(int) - frames[3]).max() <= 3
    # an explicit decord reader does not fall back: it names the file and the reason
    with pytest.raises(VideoReadError, match='simulated decord decode failure') as ei:
        open_video(mp4, backend='decord').get_frames([3])
    assert 'clip.mp4' in str(ei.value)


def test_pyav_fallback_when_decord_cannot_open_or_is_missing(mp4, monkeypatch):
    import sys

    import decord

    def fail(*a, **k):
        raise RuntimeError('decord cannot open this')

    monkeypatch.setattr(decord, 'VideoReader', fail)
    r = open_video(mp4)
    assert r.backend == 'pyav' and len(r) == 12
    monkeypatch.setitem(sys.modules, 'decord', None)  # import decord -> ImportError
    r = open_video(mp4)
    assert r.backend == 'pyav'
    with pytest.raises(ImportError, match='pip install decord'):
        open_video(mp4, backend='decord')


@pytest.mark.parametrize('backend', ['auto', 'decord', 'pyav'])
def test_missing_empty_corrupt_files(tmp_path, mp4, backend):
    missing = str(tmp_path / 'nope.mp4')
    with pytest.raises(VideoReadError, match='does not exist') as ei:
        open_video(missing, backend=backend)
    assert 'nope.mp4' in str(ei.value)
    assert isinstance(ei.value, OSError) and isinstance(ei.value, ValueError)
    empty = tmp_path / 'empty.mp4'
    empty.write_bytes(b'')
    with pytest.raises(VideoReadError, match='empty'):
        open_video(str(empty), backend=backend)
    garbage = tmp_path / 'garbage.mp4'
    garbage.write_bytes(b'not a video at all' * 50)
    with pytest.raises(VideoReadError, match='garbage.mp4'):
        open_video(str(garbage), backend=backend)
    data = open(mp4, 'rb').read()
    trunc = tmp_path / 'truncated.mp4'
    trunc.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoReadError, match='truncated.mp4'):
        with open_video(str(trunc), backend=backend) as r:
            r.get_frames(range(len(r)))


def test_error_is_picklable():
    import pickle
    e = pickle.loads(pickle.dumps(VideoReadError('a.mp4', 'file is empty')))
    assert e.filename == 'a.mp4' and e.reason == 'file is empty' and 'a.mp4' in str(e)


def test_frame_folder_one_based(tmp_path, frames):
    folder = str(tmp_path / 'vid')
    paths = write_frames(folder, frames, filename_tmpl='img_{:05d}.png', start_index=1)
    assert os.path.basename(paths[0]) == 'img_00001.png'
    r = open_video(folder)
    assert isinstance(r, FrameFolderReader)
    assert len(r) == 12 and r.first_index == 1 and r.filename_tmpl == 'img_{:05d}.png'
    np.testing.assert_array_equal(r.get_frames([0, 11]), frames[[0, 11]])  # png: lossless
    assert r.fps == 30.0
    assert open_video(folder, backend='frames', fps=5).fps == 5


def test_frame_folder_jpeg_sorted_numerically(tmp_path, frames):
    folder = tmp_path / 'jpg'
    write_frames(str(folder), frames[:3], filename_tmpl='{:d}.jpg', start_index=9)  # 9, 10, 11
    r = open_video(str(folder), backend='frames')
    assert r.files == ['9.jpg', '10.jpg', '11.jpg'] and r.first_index == 9
    out = r.get_frames([0, 2])
    err = np.abs(out.astype(int) - frames[[0, 2]])  # jpeg is lossy: noise blurs, shapes stay
    assert err.mean() < 8 and err[:, 2:8, 2:8].max() < 40


def test_frame_folder_errors(tmp_path):
    with pytest.raises(VideoReadError, match='does not exist'):
        open_video(str(tmp_path / 'none'), backend='frames')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(VideoReadError, match='no frame files'):
        open_video(str(tmp_path / 'empty'))
    bad = tmp_path / 'bad'
    bad.mkdir()
    (bad / '00001.jpg').write_bytes(b'corrupt')
    with pytest.raises(VideoReadError, match='00001.jpg'):
        open_video(str(bad)).get_frames([0])
    with pytest.raises(ValueError, match='unknown video backend'):
        open_video(str(bad), backend='opencv')


def test_pyav_counts_frames_when_container_has_no_count(tmp_path, frames):
    path = write_video(str(tmp_path / 'clip.mkv'), frames[:5], fps=8)  # mkv stores no count
    with open_video(path, backend='pyav') as r:
        assert len(r) == 5 and r.fps == pytest.approx(8.0)
        out = r.get_frames([4, 0])
    assert np.abs(out.astype(int) - frames[[4, 0]]).max() <= 3


def test_odd_frame_size(tmp_path, frames):
    odd = np.ascontiguousarray(frames[:3, :23, :31])
    with open_video(write_video(str(tmp_path / 'odd.mp4'), odd)) as r:
        assert r.get_frames([2]).shape == (1, 23, 31, 3)


def test_corrupt_after_header_fails_at_decode_with_a_clear_error(tmp_path, frames):
    import av
    path = str(tmp_path / 'faststart.mp4')
    with av.open(path, 'w', options={'movflags': 'faststart'}) as c:  # index before the data
        s = c.add_stream(available_video_codecs()[0], rate=8)
        s.width, s.height = 32, 24
        s.pix_fmt = 'rgb24' if s.name == 'libx264rgb' else 'yuv420p'
        for f in np.concatenate([frames] * 3):
            for p in s.encode(av.VideoFrame.from_ndarray(f, format='rgb24')):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    data = open(path, 'rb').read()
    trunc = tmp_path / 'cut.mp4'
    trunc.write_bytes(data[: len(data) // 2])
    r = open_video(str(trunc))  # the header still parses: 36 frames announced
    assert len(r) == 36
    with pytest.raises(VideoReadError, match='cut.mp4.*decode'):
        r.get_frames(range(36))
