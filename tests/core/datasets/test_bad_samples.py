"""Bad videos in a list: the error names the fix, and an epoch counts distinct files."""
import io
import logging
import os.path as osp

import pytest
from mmengine.dataset import pseudo_collate
from mmengine.logging import MessageHub, MMLogger
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader

from mmvideofm.datasets import VideoReadError
from mmvideofm.datasets.synthetic import SyntheticWorld, WorldConfig
from mmvideofm.datasets.video_io import write_video
from mmvideofm.registry import DATASETS, HOOKS

PIPE = [
    dict(type='VideoInit'),
    dict(type='VideoSampleFrames', clip_len=4, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    dict(type='mmaction.PackActionInputs'),
]


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvideofm')


@pytest.fixture
def log_text():
    logger = MMLogger.get_current_instance()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


@pytest.fixture
def four_bad_in_a_row(tmp_path):
    """good, 4 bad files in a row (empty, missing, garbage, empty), good."""
    frames = SyntheticWorld(WorldConfig(num_frames=8, size=16)).sample(0, 'direction').frames
    write_video(str(tmp_path / 'good0.mp4'), frames)
    write_video(str(tmp_path / 'good1.mp4'), frames)
    (tmp_path / 'empty0.mp4').write_bytes(b'')
    (tmp_path / 'garbage.mp4').write_bytes(b'not a video' * 20)
    (tmp_path / 'empty1.mp4').write_bytes(b'')
    (tmp_path / 'list.txt').write_text('good0.mp4 0\nempty0.mp4 1\nmissing.mp4 2\n'
                                       'garbage.mp4 3\nempty1.mp4 4\ngood1.mp4 5\n')
    return str(tmp_path)


def run_epoch(ds, hook, mode='test', name='bad_epoch'):
    class Runner:
        message_hub = MessageHub.get_instance(name)

    runner = Runner()
    getattr(hook, f'before_{mode}_epoch')(runner)
    loader = DataLoader(ds, batch_size=2, num_workers=0, collate_fn=pseudo_collate)
    for i, batch in enumerate(loader):
        getattr(hook, f'after_{mode}_iter')(runner, i, batch, None)
    getattr(hook, f'after_{mode}_epoch')(runner)
    return runner.message_hub.get_info(f'bad_samples/{mode}')


def test_epoch_counts_distinct_bad_files_with_each_reason(four_bad_in_a_row, log_text):
    """Issue #10.13: 4 bad files used to be reported as '10 skipped' (4+3+2+1 retries)."""
    ds = DATASETS.build(dict(type='VideoListDataset', ann_file='list.txt',
                             data_root=four_bad_in_a_row, pipeline=PIPE,
                             skip_bad_samples=True, test_mode=True))
    hook = HOOKS.build(dict(type='BadSampleReportHook'))
    assert run_epoch(ds, hook, name='bad_epoch_1') == 4
    assert ds.num_skipped == 4  # distinct files this process met
    text = log_text.getvalue()
    assert '4 bad sample(s) skipped in this test epoch' in text
    report = text.split('4 bad sample(s) skipped in this test epoch', 1)[1].splitlines()[1:5]
    found = dict(line.strip().split(': ', 1) for line in report)
    found = {osp.basename(f): r for f, r in found.items()}
    assert sorted(found) == ['empty0.mp4', 'empty1.mp4', 'garbage.mp4', 'missing.mp4'], report
    for name, reason in [('empty0.mp4', 'empty'), ('missing.mp4', 'does not exist'),
                         ('garbage.mp4', 'cannot open'), ('empty1.mp4', 'empty')]:
        assert reason in found[name], (name, report)
    # each bad file is logged once when met, not once per retry
    warnings = [line for line in text.splitlines()
                if line.startswith('skip_bad_samples:')]
    assert len(warnings) == 4, warnings
    # a second epoch reports the same 4 files again (per-epoch count, not cumulative)
    assert run_epoch(ds, hook, name='bad_epoch_1') == 4


def test_video_read_error_names_the_skip_option(four_bad_in_a_row):
    """Issue #10.12: the default (raise) tells how to skip instead."""
    ds = DATASETS.build(dict(type='VideoListDataset', ann_file='list.txt',
                             data_root=four_bad_in_a_row, pipeline=PIPE))
    with pytest.raises(VideoReadError) as ei:
        ds[1]
    msg = str(ei.value)
    assert 'empty0.mp4' in msg and 'empty' in msg
    assert 'skip_bad_samples=True' in msg
    assert 'train_dataloader.dataset.skip_bad_samples=True' in msg  # the command-line form
    # through DataLoader worker processes too (the message crosses the process boundary)
    loader = DataLoader(ds, batch_size=2, num_workers=1, collate_fn=pseudo_collate)
    # (torch re-raises an exception that takes two arguments as a RuntimeError)
    with pytest.raises((VideoReadError, RuntimeError), match=r'empty0\.mp4.*skip_bad_samples=True'):
        list(loader)
