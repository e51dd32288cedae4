import io
import logging
import os.path as osp

import numpy as np
import pytest
from mmengine.dataset import pseudo_collate
from mmengine.logging import MessageHub, MMLogger
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader

from mmvideofm.datasets import BadSampleReportHook, VideoReadError
from mmvideofm.datasets.synthetic import TASKS, SyntheticWorld, WorldConfig
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


def test_synthetic_dataset_through_mmaction_pipeline():
    ds = DATASETS.build(dict(
        type='SyntheticVideoDataset', num_samples=6, seed=0, task='direction', num_frames=8,
        size=24, split='val',
        pipeline=[dict(type='mmaction.Resize', scale=(-1, 16)),
                  dict(type='mmaction.CenterCrop', crop_size=16),
                  dict(type='mmaction.FormatShape', input_format='NCTHW'),
                  dict(type='mmaction.PackActionInputs')]))
    assert len(ds) == 6 and ds.metainfo['classes'] == tuple(TASKS['direction'].classes)
    assert DATASETS.build(dict(type='SyntheticVideoDataset', num_samples=3, serialize_data=True,
                               split='val', num_frames=8, size=24))[2]['label'] == \
        SyntheticWorld(WorldConfig(num_frames=8, size=24), seed=0, split='val').sample(
            2, 'direction').labels['direction']
    out = ds[2]
    assert out['inputs'].shape == (1, 3, 8, 16, 16)
    assert ds.get_clip(2).labels['direction'] == int(out['data_samples'].gt_label)
    clip = SyntheticWorld(WorldConfig(num_frames=8, size=24), seed=0, split='val').sample(
        2, 'direction')
    assert int(out['data_samples'].gt_label) == clip.labels['direction']
    # the same clip again: deterministic
    np.testing.assert_array_equal(ds[2]['inputs'].numpy(), out['inputs'].numpy())


def test_synthetic_dataset_single_frame_pipeline_and_splits():
    kw = dict(type='SyntheticVideoDataset', num_samples=4, task='count', num_frames=8, size=24)
    pipe = [dict(type='VideoSampleFrames', clip_len=1, test_mode=True), dict(type='VideoDecode'),
            dict(type='mmaction.FormatShape', input_format='NCTHW'),
            dict(type='mmaction.PackActionInputs')]
    ds = DATASETS.build(dict(kw, pipeline=pipe))
    assert ds[0]['inputs'].shape == (1, 3, 1, 24, 24)
    splits = {s: DATASETS.build(dict(kw, split=s)) for s in ('train', 'val', 'test')}
    first = {s: np.stack(d[0]['imgs']) for s, d in splits.items()}
    assert not np.array_equal(first['train'], first['val'])
    assert not np.array_equal(first['val'], first['test'])
    with pytest.raises(KeyError, match='unknown synthetic task'):
        DATASETS.build(dict(kw, task='colour'))
    # task=None: free, unlabelled clips (stage-1 / masked pretraining data)
    free = DATASETS.build(dict(kw, task=None))
    assert free[1]['label'] == -1 and free.metainfo['classes'] == ()
    assert np.array_equal(np.stack(free[1]['imgs']), SyntheticWorld(
        WorldConfig(num_frames=8, size=24), seed=0, split='train').sample(1).frames)


def test_video_list_dataset_missing_paths_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'data root .*nowhere.*make_synthetic\.py'):
        DATASETS.build(dict(type='VideoListDataset', ann_file='train.txt',
                            data_root=str(tmp_path / 'nowhere'), pipeline=[]))
    with pytest.raises(FileNotFoundError, match=r'list file .*train\.txt.*make_synthetic'):
        DATASETS.build(dict(type='VideoListDataset', ann_file='train.txt',
                            data_root=str(tmp_path), pipeline=[]))
    (tmp_path / 'bad.txt').write_text('a.mp4 notanumber\n')
    with pytest.raises(ValueError, match=r'bad\.txt:1'):
        DATASETS.build(dict(type='VideoListDataset', ann_file='bad.txt',
                            data_root=str(tmp_path), pipeline=[]))


def video_list(root, names: list[str]) -> str:
    """``list.txt`` of ``names`` (labels 1, 2, ...); good* are clips, empty* 0 bytes,
    garbage* not a video, anything else missing."""
    frames = SyntheticWorld(WorldConfig(num_frames=8, size=16)).sample(0, 'direction').frames
    for name in names:
        if name.startswith('good'):
            write_video(str(root / name), frames)
        elif name.startswith(('empty', 'garbage')):
            (root / name).write_bytes(b'' if name.startswith('empty') else b'not a video' * 20)
    (root / 'list.txt').write_text(''.join(f'{n} {i}\n' for i, n in enumerate(names, 1)))
    return str(root)


@pytest.fixture
def list_with_bad_videos(tmp_path):
    return video_list(tmp_path, ['good0.mp4', 'empty.mp4', 'missing.mp4', 'good1.mp4'])


def test_bad_samples_propagate_by_default(list_with_bad_videos):
    ds = DATASETS.build(dict(type='VideoListDataset', ann_file='list.txt',
                             data_root=list_with_bad_videos, pipeline=PIPE))
    assert int(ds[0]['data_samples'].gt_label) == 1
    with pytest.raises(VideoReadError, match='empty.mp4.*empty'):
        ds[1]


@pytest.fixture
def log_text():
    """Everything mmengine's current logger writes during the test."""
    logger = MMLogger.get_current_instance()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def test_skip_bad_samples_logs_and_counts(list_with_bad_videos, log_text):
    ds = DATASETS.build(dict(type='VideoListDataset', ann_file='list.txt',
                             data_root=list_with_bad_videos, pipeline=PIPE,
                             skip_bad_samples=True, test_mode=True))
    out = ds[1]  # empty -> missing -> good1
    assert int(out['data_samples'].gt_label) == 4
    assert ds.num_skipped == 2
    skipped = out['data_samples'].metainfo['skipped_samples']
    assert [osp.basename(f) for f, _ in skipped] == ['empty.mp4', 'missing.mp4']
    assert 'empty' in skipped[0][1] and 'does not exist' in skipped[1][1]
    text = log_text.getvalue()
    assert 'empty.mp4' in text and 'missing.mp4' in text and 'skip_bad_samples' in text

    # the hook counts skips over an epoch, through DataLoader workers too
    loader = DataLoader(ds, batch_size=2, num_workers=1, collate_fn=pseudo_collate)
    hook = HOOKS.build(dict(type='BadSampleReportHook'))
    assert isinstance(hook, BadSampleReportHook)

    class Runner:
        message_hub = MessageHub.get_instance('test_bad_samples')

    runner = Runner()
    hook.before_test_epoch(runner)
    for i, batch in enumerate(loader):
        hook.after_test_iter(runner, i, batch, None)
    hook.after_test_epoch(runner)
    # idx 1 skips empty + missing, idx 2 skips missing again: 2 distinct files
    assert runner.message_hub.get_info('bad_samples/test') == 2
    assert '2 bad sample(s) skipped in this test epoch' in log_text.getvalue()
    hook.before_train_epoch(runner)
    hook.after_train_epoch(runner)
    assert runner.message_hub.get_info('bad_samples/train') == 0


def test_skip_bad_samples_only_skips_io_errors(list_with_bad_videos):
    def buggy(results):
        raise ValueError('a bug in a transform')

    ds = DATASETS.build(dict(type='VideoListDataset', ann_file='list.txt',
                             data_root=list_with_bad_videos, skip_bad_samples=True,
                             pipeline=PIPE[:3] + [buggy]))
    with pytest.raises(ValueError, match='a bug in a transform'):
        ds[0]  # a pipeline bug is not a bad sample
    assert ds.num_skipped == 0


@pytest.fixture
def four_bad_in_a_row(tmp_path):
    return video_list(tmp_path, ['good0.mp4', 'empty0.mp4', 'missing.mp4', 'garbage.mp4',
                                 'empty1.mp4', 'good1.mp4'])


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


def test_shipped_kinetics_val_set_names_the_skip_option(four_bad_in_a_row):
    """The real-data configs' val / test lists use the same bad-file policy (#10.12)."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', 'umt',
                                   'umt-base-p16-res224_k710-pre-ft_u8_k400-rgb.py'))
    for loader in ('val_dataloader', 'test_dataloader'):
        ds_cfg = cfg[loader].dataset
        ds_cfg.update(ann_file=osp.join(four_bad_in_a_row, 'list.txt'),
                      data_prefix=dict(video=four_bad_in_a_row))
        ds = DATASETS.build(ds_cfg)
        with pytest.raises(VideoReadError, match=r'empty0\.mp4.*skip_bad_samples=True'):
            ds[1]


def _report_on_rank(rank: int, port: int, files: list[str], out: str) -> None:
    import torch.distributed as dist
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
                            world_size=2)
    try:
        hook = BadSampleReportHook()

        class Runner:
            message_hub = MessageHub.get_instance(f'rank{rank}')

        hook.before_train_epoch(Runner)
        hook._skipped['train'].update({f: f'reason of {f}' for f in files})
        hook.after_train_epoch(Runner)
        with open(f'{out}.{rank}', 'w') as f:
            f.write(str(Runner.message_hub.get_info('bad_samples/train')))
    finally:
        dist.destroy_process_group()


def test_report_counts_a_file_skipped_on_two_ranks_once(tmp_path):
    """The epoch count is the union of the ranks' bad files (gloo, two processes)."""
    import socket

    import torch.multiprocessing as mp
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    out = str(tmp_path / 'count')
    ctx = mp.get_context('fork')
    procs = [ctx.Process(target=_report_on_rank, args=(r, port, files, out))
             for r, files in enumerate([['a.mp4', 'b.mp4'], ['b.mp4', 'c.mp4']])]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    assert [open(f'{out}.{r}').read() for r in (0, 1)] == ['3', '3']


def test_repeat_aug_dataset_skips_bad_videos_too(list_with_bad_videos):
    """The real-data training dataset (repeated augmentation) takes skip_bad_samples."""
    from mmaction.datasets import repeat_pseudo_collate
    kw = dict(type='VideoRepeatAugDataset', ann_file='list.txt', data_root=list_with_bad_videos,
              num_repeats=2, pipeline=PIPE)
    with pytest.raises(VideoReadError, match='empty.mp4.*skip_bad_samples=True'):
        DATASETS.build(kw)[1]
    ds = DATASETS.build(dict(kw, skip_bad_samples=True))
    copies = ds[1]  # empty -> missing -> good1
    assert len(copies) == 2 and all(int(c['data_samples'].gt_label) == 4 for c in copies)
    assert ds.num_skipped == 2
    hook = BadSampleReportHook()

    class Runner:
        message_hub = MessageHub.get_instance('repeat_aug_bad')

    hook.before_train_epoch(Runner)
    loader = DataLoader(ds, batch_size=2, collate_fn=repeat_pseudo_collate)
    for i, batch in enumerate(loader):
        hook.after_train_iter(Runner, i, batch, None)
    hook.after_train_epoch(Runner)
    assert Runner.message_hub.get_info('bad_samples/train') == 2
