"""InternVid-style jsonl video-text dataset: rows -> samples, clips cut at read time by
ClipWindow (or pre-cut files), filters, and errors naming the file and line."""
import json

import numpy as np
import pytest
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from mmvideofm.datasets import VideoTextJsonlDataset, write_video
from mmvideofm.datasets.video_text_jsonl import parse_timestamp

init_default_scope('mmvideofm')

ROWS = [
    dict(YoutubeID='vidA', Start_timestamp='00:00:01.000', End_timestamp='00:00:02.000',
         Caption='a red circle moves up', UMT_Score=0.41, Aesthetic_Score=4.5),
    dict(YoutubeID='vidA', Start_timestamp='00:00:02.500', End_timestamp='00:00:03.750',
         Caption='a blue square stays still', UMT_Score=0.25, Aesthetic_Score=5.0),
    dict(YoutubeID='vidA', Start_timestamp='00:00:01.000', End_timestamp='00:00:02.000',
         Caption='the red circle goes up', UMT_Score=0.38, Aesthetic_Score=4.5),
]


def _write(path, rows):
    path.write_text(''.join(json.dumps(r) + '\n' for r in rows))
    return str(path)


def test_timestamps():
    assert parse_timestamp('00:01:02.500') == pytest.approx(62.5)
    assert parse_timestamp('03.25') == 3.25 and parse_timestamp(7) == 7.0
    with pytest.raises(ValueError, match='timestamp'):
        parse_timestamp('1:2:3:4')


def test_rows_to_samples_and_filters(tmp_path):
    ann = _write(tmp_path / 'a.jsonl', ROWS)
    ds = VideoTextJsonlDataset(ann, data_prefix=dict(video='videos'))
    assert len(ds) == 3
    s = ds.get_data_info(0)
    assert s['filename'] == 'videos/vidA.mp4' and s['text'] == s['caption'] == ROWS[0]['Caption']
    assert (s['clip_start'], s['clip_end']) == (1.0, 2.0)
    assert s['scores'] == {'UMT_Score': 0.41, 'Aesthetic_Score': 4.5}
    # the two captions of the same clip share a video_idx (VTC positives)
    assert [ds.get_data_info(i)['video_idx'] for i in range(3)] == [0, 1, 0]
    kept = VideoTextJsonlDataset(ann, min_scores=dict(UMT_Score=0.3), max_duration=1.1)
    assert [kept.get_data_info(i)['text'] for i in range(len(kept))] == [
        ROWS[0]['Caption'], ROWS[2]['Caption']]
    pre = VideoTextJsonlDataset(ann, data_prefix=dict(video='clips'), precut=True)
    s = pre.get_data_info(1)
    assert s['filename'] == 'clips/vidA_00:00:02.500_00:00:03.750.mp4'
    assert 'clip_start' not in s


@pytest.mark.parametrize('bad,match', [
    ('{"YoutubeID": "x", "Start_timestamp": "0", "Caption": "c"}', r'line 2: missing .*End_'),
    ('not json', 'line 2: not valid JSON'),
    ('{"YoutubeID": "x", "Start_timestamp": "5", "End_timestamp": "4", "Caption": "c"}',
     'line 2: End_timestamp'),
])
def test_bad_row_names_file_and_line(tmp_path, bad, match):
    ann = tmp_path / 'bad.jsonl'
    ann.write_text(json.dumps(ROWS[0]) + '\n' + bad + '\n')
    with pytest.raises(ValueError, match=match) as err:
        VideoTextJsonlDataset(str(ann))
    assert 'bad.jsonl' in str(err.value)


def test_clip_cut_at_read_time(tmp_path):
    """The window [1 s, 2 s) of an 8 fps video is frames 8..15; the sampler sees 8 frames."""
    frames = np.zeros((40, 16, 16, 3), np.uint8)
    frames[:, 0, 0, 0] = np.arange(40) * 5  # frame i is marked by its index
    (tmp_path / 'videos').mkdir()
    write_video(str(tmp_path / 'videos' / 'vidA.mp4'), frames, fps=8)
    ann = _write(tmp_path / 'a.jsonl', ROWS[:1])
    pipeline = [
        dict(type='VideoInit'), dict(type='ClipWindow'),
        dict(type='mmaction.UniformSample', clip_len=4, num_clips=1, test_mode=True),
        dict(type='VideoDecode')]
    ds = VideoTextJsonlDataset(ann, data_prefix=dict(video=str(tmp_path / 'videos')),
                               pipeline=pipeline)
    out = ds[0]
    assert out['total_frames'] == 8
    marks = [int(img[0, 0, 0]) // 5 for img in out['imgs']]
    assert all(8 <= m < 16 for m in marks) and marks == sorted(marks), marks
    with pytest.raises(KeyError, match='after VideoInit'):
        Compose([dict(type='ClipWindow')])(dict(clip_start=0., clip_end=1.))


def test_missing_or_empty_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='annotation file'):
        VideoTextJsonlDataset(str(tmp_path / 'none.jsonl'))
    empty = tmp_path / 'e.jsonl'
    empty.write_text('\n')
    with pytest.raises(ValueError, match='no rows'):
        VideoTextJsonlDataset(str(empty))
