"""tools/data/internvid/curate.py: killed and resumed runs, the Ray backend and a 2-process pool
all give the uninterrupted run's outputs; bad videos go to failures.jsonl; the shards feed
VideoTextShardDataset and train the tiny ViCLIP through the Runner."""
import filecmp
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

from mmvideofm.datasets.synthetic import WorldConfig
from mmvideofm.datasets.synthetic.long_video import export_long_videos
from tools.data.internvid.curate import main

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIG = osp.join(REPO, 'configs', 'internvid', 'curate_synthetic.py')
OUTPUTS = ['internvid.jsonl', 'failures.jsonl', 'subsets/div.jsonl', 'subsets/flt.jsonl',
           'subsets/flt_clipscore.jsonl', 'subsets/random.jsonl', 'subsets/aesthetic.jsonl']
SMALL = ['subsets.div.num=10', 'subsets.random.num=10']


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> str:
    """8 long videos plus a zero-length, a garbage and a truncated file."""
    root = str(tmp_path_factory.mktemp('internvid_synthetic'))
    export_long_videos(root, 8, WorldConfig(size=32, max_objects=2), seed=1)
    vids = osp.join(root, 'videos')
    open(osp.join(vids, 'zzempty0000.mp4'), 'wb').close()
    with open(osp.join(vids, 'zzgarbage00.mp4'), 'wb') as f:
        f.write(b'\x00garbage' * 500)
    src = open(osp.join(vids, 'syn00000000.mp4'), 'rb').read()
    with open(osp.join(vids, 'zztruncated.mp4'), 'wb') as f:
        f.write(src[:len(src) // 2])
    return root


def args(data: str, work: str, *extra: str) -> list[str]:
    return [CONFIG, '--data-root', data, '--work-dir', work, '--no-progress', *extra,
            '--cfg-options', *SMALL]


@pytest.fixture(scope='module')
def reference(data, tmp_path_factory) -> tuple[str, dict]:
    work = str(tmp_path_factory.mktemp('reference'))
    return work, main(args(data, work))


def results(stage_dir: str) -> list[str]:
    """Finished per-video results (a kill may leave a ``.json.tmp<pid>`` being written)."""
    return [f for f in os.listdir(stage_dir) if f.endswith('.json') and f != '_config.json']


def same_outputs(a: str, b: str) -> None:
    for rel in OUTPUTS:
        assert filecmp.cmp(osp.join(a, rel), osp.join(b, rel), shallow=False), rel
    shards = sorted(os.listdir(osp.join(a, 'shards', 'all')))
    assert shards == sorted(os.listdir(osp.join(b, 'shards', 'all')))
    for s in shards:
        assert filecmp.cmp(osp.join(a, 'shards', 'all', s), osp.join(b, 'shards', 'all', s),
                           shallow=False), s


def test_bad_videos_are_recorded_and_the_run_continues(reference):
    work, summary = reference
    import json
    rows = [json.loads(x) for x in open(osp.join(work, 'failures.jsonl'))]
    reasons = {r['video']: (r['stage'], r['reason'].split(':')[0]) for r in rows}
    assert reasons['zzempty0000'] == ('scenes', 'zero-length')
    assert reasons['zzgarbage00'] == ('scenes', 'unreadable')
    # half an mp4 whose index is at the end cannot be opened at all (a faststart one reads as
    # 'truncated': tests/core/datasets/curation/test_scene_split.py)
    assert reasons['zztruncated'] == ('scenes', 'unreadable')
    assert summary['failures'] == 3 and summary['failures_by_stage'] == {'scenes': 3}
    assert summary['stages']['scenes']['done'] == 8 and summary['clips'] > 20
    # later stages neither ran nor failed on them
    assert summary['stages']['umt_score'] == dict(summary['stages']['umt_score'], done=8,
                                                  failed=0)


def test_killed_run_resumes_to_the_uninterrupted_outputs(data, reference, tmp_path):
    work = str(tmp_path / 'killed')
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    proc = subprocess.Popen([sys.executable, osp.join(REPO, 'tools', 'data', 'internvid',
                                                      'curate.py'), *args(data, work)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    stage_dir = osp.join(work, 'stages', 'umt_score')
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if osp.isdir(stage_dir) and len(results(stage_dir)) >= 2:
            break
        time.sleep(0.01)
    assert proc.poll() is None, 'the run finished before it could be killed'
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not osp.exists(osp.join(work, 'internvid.jsonl'))  # killed mid-run
    done_before = len(results(stage_dir))
    summary = main(args(data, work))
    assert summary['stages']['scenes']['ran_now'] == 0  # finished before the kill: skipped
    assert summary['stages']['umt_score']['ran_now'] == 8 - done_before
    same_outputs(reference[0], work)


def test_process_pool_and_ray_backends_match_the_local_run(data, reference, tmp_path):
    pool = str(tmp_path / 'pool')
    main(args(data, pool, '--workers', '2'))
    same_outputs(reference[0], pool)
    ray = pytest.importorskip('ray')
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 runtime_env=dict(env_vars=dict(PYTHONPATH=REPO, OMP_NUM_THREADS='1')))
    except Exception as e:  # noqa: BLE001
        pytest.skip(f'a local Ray instance cannot start here: {type(e).__name__}: {e}')
    try:
        work = str(tmp_path / 'ray')
        summary = main(args(data, work, '--backend', 'ray'))
    finally:
        ray.shutdown()
    same_outputs(reference[0], work)
    assert summary['failures'] == 3


def test_shards_read_back_as_the_jsonl_dataset_reads_the_source(data, reference):
    import numpy as np
    from mmengine.registry import init_default_scope

    import mmvideofm.datasets  # noqa: F401
    from mmvideofm.datasets import VideoTextJsonlDataset, VideoTextShardDataset
    init_default_scope('mmvideofm')
    work, summary = reference
    pipe = [dict(type='VideoInit'), dict(type='ClipWindow'),
            dict(type='VideoSampleFrames', clip_len=4, num_clips=1, test_mode=True),
            dict(type='VideoDecode')]
    shards = VideoTextShardDataset(shards='shards/all/*.tar', data_root=work, pipeline=pipe)
    jsonl = VideoTextJsonlDataset(osp.join(work, 'internvid.jsonl'),
                                  data_prefix=dict(video=osp.join(data, 'videos')),
                                  pipeline=pipe)
    assert len(shards) == len(jsonl) == summary['clips']
    for i in (0, len(jsonl) // 2, len(jsonl) - 1):
        a, b = jsonl[i], shards[i]
        for k in ('text', 'caption', 'youtube_id', 'scores', 'duration', 'video_idx'):
            assert a[k] == b[k], k
        assert a['total_frames'] == b['total_frames']
        np.testing.assert_array_equal(np.stack(a['imgs']), np.stack(b['imgs']))  # lossless
    with pytest.raises(FileNotFoundError, match='curate.py'):
        VideoTextShardDataset(shards='nope/*.tar', data_root=work)


def test_shards_train_the_tiny_viclip_through_the_runner(reference, tmp_path):
    pytest.importorskip('projects.viclip')
    import torch

    from mmvideofm.engine.runner_utils import build_runner, load_config
    work, _ = reference
    cfg = load_config(osp.join(REPO, 'configs', 'internvid',
                               'viclip-tiny-p8_internvid-synthetic-shards-8x32.py'),
                      dict(train_dataloader=dict(batch_size=8, dataset=dict(data_root=work)),
                           train_cfg=dict(max_epochs=25, val_interval=100),
                           optim_wrapper=dict(optimizer=dict(lr=1e-3))),
                      str(tmp_path / 'train'))
    cfg.param_scheduler[0].update(T_max=25, end=25)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    runner = build_runner(cfg)
    loader = runner.train_dataloader
    batch = next(iter(loader))

    def vtc() -> float:
        model = runner.model
        model.eval()
        with torch.no_grad():
            data = model.data_preprocessor(batch, False)
            return float(model.loss(data['inputs'], data['data_samples'])['loss_vtc'])

    before = vtc()
    runner.train()
    after = vtc()
    print(f'VTC on a fixed batch of 8: {before:.3f} -> {after:.3f}')
    assert after < before - 0.3, (before, after)


def test_make_synthetic_exports_long_videos(tmp_path):
    from tools.data.make_synthetic import main as make_synthetic
    meta = make_synthetic(['--long-videos', '2', '--out', str(tmp_path), '--size', '16',
                           '--no-progress'])
    assert [v['id'] for v in meta['videos']] == ['syn00000000', 'syn00000001']
    assert sorted(os.listdir(tmp_path / 'videos')) == ['syn00000000.mp4', 'syn00000001.mp4']
    assert (tmp_path / 'long_videos.json').is_file()


def test_viclip_scores_through_the_registry_by_type_name(data, reference):
    """The score stage builds a plugin's model from config only (type name + imports, or its
    config file): the curation core never imports the plugin."""
    import json

    from mmengine.config import Config

    from mmvideofm.datasets.curation import VideoTextScore
    work, _ = reference
    viclip_cfg = osp.join(REPO, 'configs', 'viclip', 'viclip-tiny-p8_synthetic-direction-8x32.py')
    if not osp.isfile(viclip_cfg):
        pytest.skip('the viclip plugin config is not in this checkout')
    model = Config.fromfile(viclip_cfg).model.to_dict()
    assert model['type'] == 'ViCLIP'
    model['vision_encoder']['num_frames'] = 4  # InternVid scores 4 uniform frames
    load = lambda s: json.load(open(osp.join(work, 'stages', s, 'syn00000001.json')))  # noqa
    inputs = dict(scenes=load('scenes')['result'], captions=load('captions')['result'])
    video = dict(key='syn00000001', path=osp.join(data, 'videos', 'syn00000001.mp4'))
    by_type = [VideoTextScore(model=model, imports=['projects.viclip'], num_frames=4,
                              size=32).ensure_setup().process(video, inputs) for _ in range(2)]
    assert by_type[0] == by_type[1]  # same random weights in every build (init_seed)
    by_file = VideoTextScore(config=viclip_cfg, num_frames=8, size=32).ensure_setup().process(
        video, inputs)
    for res in (by_type[0], by_file):
        scores = res['UMT_Score']
        assert len(scores) == len(inputs['scenes']['clips']) and all(-1 <= s <= 1
                                                                     for s in scores)
