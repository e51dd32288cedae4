import pytest
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from mmvideofm.datasets import ShortVideoError, VideoReadError
from mmvideofm.datasets.video_io import write_frames


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvideofm')


def pipeline(clip_len=4, frame_interval=1, short_video='repeat_last', test_mode=True):
    return Compose([
        dict(type='VideoInit'),
        dict(type='VideoSampleFrames', clip_len=clip_len, frame_interval=frame_interval,
             short_video=short_video, test_mode=test_mode),
        dict(type='VideoDecode'),
        dict(type='mmaction.Resize', scale=(-1, 16)),
        dict(type='mmaction.CenterCrop', crop_size=16),
        dict(type='mmaction.FormatShape', input_format='NCTHW'),
        dict(type='mmaction.PackActionInputs'),
    ])


def test_video_pipeline_to_pack(mp4):
    out = pipeline()(dict(filename=mp4, label=3, start_index=0))
    assert out['inputs'].shape == (1, 3, 4, 16, 16)
    assert int(out['data_samples'].gt_label) == 3


def frame_ids(results):
    return [int(img[-1, -1, 0]) for img in results['imgs']]  # conftest writes the id there


def decode(path, **kw):
    p = Compose([dict(type='VideoInit'), dict(type='VideoSampleFrames', **kw),
                 dict(type='VideoDecode')])
    return p(dict(filename=path, start_index=0))


def test_decode_picks_the_right_frames(mp4):
    r = decode(mp4, clip_len=4, frame_interval=3, test_mode=True)  # 12 frames, needs 10
    assert list(r['frame_inds']) == frame_ids(r) == [1, 4, 7, 10]
    assert r['video_reader'] is None and r['original_shape'] == (24, 32)


def test_short_video_policies(mp4):
    r = decode(mp4, clip_len=16, test_mode=True)  # 12 frames < 16 needed
    assert frame_ids(r) == list(range(12)) + [11] * 4  # default: repeat the last frame
    r = decode(mp4, clip_len=16, short_video='loop', test_mode=True)
    assert frame_ids(r) == list(range(12)) + [0, 1, 2, 3]
    with pytest.raises(ShortVideoError, match='has 12 frames.*needs 16') as ei:
        decode(mp4, clip_len=16, short_video='error')
    assert isinstance(ei.value, VideoReadError) and 'clip.mp4' in str(ei.value)
    decode(mp4, clip_len=12, short_video='error')  # exactly enough: fine
    with pytest.raises(ValueError, match='short_video must be'):
        decode(mp4, clip_len=4, short_video='pad')


def test_frame_folder_with_rawframe_start_index(tmp_path, frames):
    folder = str(tmp_path / 'f')
    write_frames(folder, frames, filename_tmpl='{:05d}.png', start_index=1)
    # mmaction2's rawframe convention: start_index=1, frame_inds include it
    r = Compose([dict(type='VideoInit'),
                 dict(type='VideoSampleFrames', clip_len=3, frame_interval=5, test_mode=True),
                 dict(type='VideoDecode')])(dict(frame_dir=folder, start_index=1))
    assert list(r['frame_inds']) == [1, 6, 11]
    assert frame_ids(r) == [0, 5, 10]


def test_video_init_needs_a_filename():
    with pytest.raises(KeyError, match='filename'):
        Compose([dict(type='VideoInit')])(dict(label=0))


def test_decode_missing_file_names_it(tmp_path):
    with pytest.raises(VideoReadError, match='gone.mp4.*does not exist'):
        decode(str(tmp_path / 'gone.mp4'), clip_len=2)
