"""tools/train.py, tools/test.py and dist_train: real runs on the on-the-fly synthetic world."""
import glob
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tests', 'tools'))
sys.path.insert(0, REPO)

from _configs import tiny_video_config  # noqa: E402

from tools import test as test_tool  # noqa: E402
from tools import train as train_tool  # noqa: E402


def _env():
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([REPO, osp.join(REPO, 'tests', 'tools'),
                                         env.get('PYTHONPATH', '')])
    env['OMP_NUM_THREADS'] = '1'
    return env


def _hooks_import():
    return dict(imports=['testing_hooks'], allow_failed_imports=False)


def test_train_then_test(tmp_path):
    work = tmp_path / 'run'
    cfg = tiny_video_config(work, max_epochs=2)
    train_tool.main([cfg])
    assert osp.isfile(work / 'epoch_2.pth')
    assert osp.isfile(work / 'training_curve.png') and osp.getsize(work / 'training_curve.png') > 0
    assert glob.glob(str(work / '*' / '*.log')), 'no log file in the work dir'
    metrics = test_tool.main([cfg, str(work)])  # a work dir resolves to last_checkpoint
    assert 0.0 <= metrics['acc/top1'] <= 1.0


def test_test_tool_names_missing_checkpoint(tmp_path):
    cfg = tiny_video_config(tmp_path / 'run')
    with pytest.raises(FileNotFoundError, match='nope'):
        test_tool.main([cfg, str(tmp_path / 'nope')])


def _final_weights(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        ckpt = torch.load(f.read().strip(), map_location='cpu', weights_only=False)
    return ckpt['state_dict'], (ckpt['meta']['epoch'], ckpt['meta']['iter'])


def _run_until_hang(cfg, work):
    proc = subprocess.Popen([sys.executable, osp.join(REPO, 'tools', 'train.py'), cfg],
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        deadline = time.time() + 240
        while not osp.exists(work / 'HANGING'):
            assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
            assert time.time() < deadline, 'training never reached the hang point'
            time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _assert_same_weights(work, ref, progress):
    resumed, reached = _final_weights(work)
    expected, ref_reached = _final_weights(ref)
    assert reached == ref_reached == progress  # (meta epoch, meta iter)
    for key, value in expected.items():
        torch.testing.assert_close(resumed[key], value, rtol=1e-5, atol=1e-6, msg=key)


# drop path on (as in the demo config): the resumed run must draw the same masks
DROP = dict(drop_path_rate=0.3, depth=2)  # depth 1 would give a rate of 0 (linspace)


def test_killed_training_resumes_same_schedule(tmp_path):
    """Kill a run after epoch 1, resume it, and land on the uninterrupted run's weights."""
    ref = tmp_path / 'ref'
    train_tool.main([tiny_video_config(ref, max_epochs=3, **DROP)])

    work = tmp_path / 'killed'
    cfg = tiny_video_config(work, max_epochs=3, custom_imports=_hooks_import(), **DROP,
                            extra_hooks=[dict(type='HangAfterEpochHook', epoch=1)])
    _run_until_hang(cfg, work)
    assert osp.isfile(work / 'epoch_1.pth') and not osp.exists(work / 'epoch_2.pth')

    train_tool.main([tiny_video_config(work, max_epochs=3, **DROP), '--resume'])
    _assert_same_weights(work, ref, (3, 12))


def test_killed_mid_epoch_resumes_exactly(tmp_path):
    """Item 4: checkpoints every 3 iterations (4 per epoch), killed after iteration 6, i.e.
    half-way through epoch 2; the resumed run skips the 2 batches already trained and
    restores every RNG (drop path on; random flips in 2 persistent workers, as the demo
    config's loaders), ending on the uninterrupted run's weights."""
    drop = dict(DROP, num_workers=2, flip_ratio=0.5)
    hooks = dict(runtime_info=dict(type='RuntimeInfoHook'), timer=dict(type='IterTimerHook'),
                 logger=dict(type='LoggerHook', interval=1),
                 param_scheduler=dict(type='ParamSchedulerHook'),
                 checkpoint=dict(type='CheckpointHook', interval=3, by_epoch=False),
                 sampler_seed=dict(type='DistSamplerSeedHook'))
    ref = tmp_path / 'ref'
    train_tool.main([tiny_video_config(ref, max_epochs=3, default_hooks=hooks, **drop)])

    work = tmp_path / 'killed'
    cfg = tiny_video_config(work, max_epochs=3, custom_imports=_hooks_import(), **drop,
                            default_hooks=hooks, extra_hooks=[dict(type='HangAfterIterHook', iter=6)])
    _run_until_hang(cfg, work)
    assert osp.isfile(work / 'iter_6.pth') and not osp.exists(work / 'iter_9.pth')

    train_tool.main([tiny_video_config(work, max_epochs=3, default_hooks=hooks, **drop),
                     '--resume'])
    _assert_same_weights(work, ref, (2, 12))  # iteration checkpoints: epoch counts from 0
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert osp.basename(f.read().strip()) == 'iter_12.pth'  # no epoch replayed


def test_ddp_two_processes_agree(tmp_path, torchrun):
    """Two CPU processes (gloo) train with DDP; both replicas end with the same weights."""
    work = tmp_path / 'ddp'
    cfg = tiny_video_config(work, max_epochs=1, num_samples=16, batch_size=2,
                            custom_imports=_hooks_import(),
                            extra_hooks=[dict(type='DumpWeightsHook')])
    out = torchrun(osp.join(REPO, 'tools', 'train.py'), cfg, '--launcher', 'pytorch',
                   timeout=600, pythonpath=(osp.join(REPO, 'tests', 'tools'),))
    assert out.returncode == 0, out.stderr[-4000:]
    w0 = torch.load(work / 'weights_rank0.pt', weights_only=True)
    w1 = torch.load(work / 'weights_rank1.pt', weights_only=True)
    assert w0.keys() == w1.keys()
    for key in w0:
        torch.testing.assert_close(w0[key], w1[key], rtol=0, atol=1e-6, msg=key)
    # each rank saw different samples: equal weights mean the gradients were all-reduced
    assert 'distributed' in out.stdout + out.stderr or 'world_size: 2' in out.stdout + out.stderr


def test_test_tool_rejects_mismatched_checkpoint(tmp_path):
    from mmvideofm.checkpoint.convert import StateDictMismatchError
    cfg = tiny_video_config(tmp_path / 'run')
    official = tmp_path / 'official.pth'
    torch.save({'model': {'blocks.0.attn.qkv.weight': torch.zeros(96, 32)}}, official)
    with pytest.raises(StateDictMismatchError, match=r'(?s)missing keys.*unexpected keys.*'
                                                     r'blocks.0.attn.qkv.weight.*convert_checkpoint'):
        test_tool.main([cfg, str(official)])


def test_verify_keys_accepts_empty_buffers_the_checkpoint_fills(tmp_path):
    from mmvideofm.engine.runner_utils import verify_checkpoint_keys

    class Bank(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer('memory', torch.empty(0))
            self.fc = torch.nn.Linear(2, 2)

    model = Bank()
    path = tmp_path / 'bank.pth'
    torch.save({'state_dict': {'memory': torch.ones(5, 3), **model.fc.state_dict(prefix='fc.')}}, path)
    verify_checkpoint_keys(model, str(path))  # no error


# ----------------------------------------------------------------- issue #10: trust the runners
def _trained_work_dir(tmp_path, name='run', **kw):
    work = tmp_path / name
    cfg = tiny_video_config(work, max_epochs=1, **kw)
    train_tool.main([cfg])
    return work, cfg


def test_test_tool_follows_a_moved_work_dir(tmp_path):
    """Item 5: a copied work dir evaluates its own checkpoint, the original one deleted."""
    import shutil
    work, cfg = _trained_work_dir(tmp_path)
    moved = tmp_path / 'moved'
    shutil.copytree(work, moved)
    shutil.rmtree(work)
    # a new experiment name: two runners started in one second in one process would share
    # mmengine's visualizer instance (named by the timestamp), bound to the deleted dir
    with pytest.warns(UserWarning, match=r'last_checkpoint.*points elsewhere'):
        metrics = test_tool.main([cfg, str(moved), '--cfg-options', 'experiment_name=moved'])
    assert 0.0 <= metrics['acc/top1'] <= 1.0


def test_test_tool_resolves_checkpoints_inside_the_given_dir(tmp_path):
    """Item 5: with the original still there, the copy's own file is used (and we say so)."""
    import shutil
    work, _ = _trained_work_dir(tmp_path)
    copy = tmp_path / 'copy'
    shutil.copytree(work, copy)
    with pytest.warns(UserWarning, match=r'(?s)points elsewhere.*' + str(work)):
        resolved = test_tool.resolve_checkpoint(str(copy))
    assert osp.dirname(osp.abspath(resolved)) == str(copy)
    os.remove(copy / 'epoch_1.pth')
    with pytest.raises(FileNotFoundError, match=r'(?s)epoch_1.pth.*not in .*copy.*exists at'):
        test_tool.resolve_checkpoint(str(copy))


def test_test_tool_refuses_random_weights(tmp_path):
    """Item 6: no checkpoint + trainable parameters = random weights: refuse unless asked."""
    cfg = tiny_video_config(tmp_path / 'run')
    with pytest.raises(SystemExit, match=r'(?s)random weights.*--allow-random-weights'):
        test_tool.main([cfg])
    metrics = test_tool.main([cfg, '--allow-random-weights'])
    assert 'acc/top1' in metrics


def test_models_without_trainable_parameters_need_no_checkpoint(tmp_path):
    """Item 6: a frozen (non-parametric) model is evaluated without a checkpoint."""
    assert test_tool.needs_checkpoint(torch.nn.Linear(2, 2))
    frozen = torch.nn.Linear(2, 2).requires_grad_(False)
    assert not test_tool.needs_checkpoint(frozen)
    assert not test_tool.needs_checkpoint(torch.nn.Identity())


def test_trusted_flag_loads_a_checkpoint_with_foreign_objects(tmp_path):
    """Item 12: the unsafe-checkpoint message points at --trusted, which the tools now have."""
    from fractions import Fraction

    from mmvideofm.checkpoint import UnsafeCheckpointError
    work, cfg = _trained_work_dir(tmp_path)
    ckpt = torch.load(work / 'epoch_1.pth', map_location='cpu', weights_only=False)
    ckpt['meta']['note'] = Fraction(1, 3)  # any class outside the allowlist
    odd = tmp_path / 'odd.pth'
    torch.save(ckpt, odd)
    with pytest.raises(UnsafeCheckpointError, match=r"'fractions.Fraction'.*--trusted"):
        test_tool.main([cfg, str(odd)])
    assert 'acc/top1' in test_tool.main([cfg, str(odd), '--trusted'])
    # the flag is scoped to the command
    with pytest.raises(UnsafeCheckpointError):
        test_tool.main([cfg, str(odd)])
    train_tool.main([cfg, '--resume', str(odd), '--trusted',
                     '--cfg-options', 'train_cfg.max_epochs=2'])
    assert osp.isfile(work / 'epoch_2.pth')


def _log_text(work):
    return '\n'.join(open(p).read() for p in glob.glob(str(work / '*' / '*.log')))


def _model(embed_dim=32, num_classes=9, init_cfg=None):
    return dict(
        type='Recognizer3D',
        backbone=dict(type='VideoViT', img_size=16, patch_size=8, num_frames=8, tubelet_size=2,
                      embed_dim=embed_dim, depth=1, num_heads=2, init_cfg=init_cfg),
        cls_head=dict(type='TimeSformerHead', num_classes=num_classes, in_channels=embed_dim,
                      average_clips='prob'),
        data_preprocessor=dict(type='ActionDataPreprocessor', mean=[127.5] * 3, std=[64.] * 3,
                               format_shape='NCTHW'))


def test_load_from_another_models_checkpoint_is_refused(tmp_path):
    """Item 3: a checkpoint that fits nothing used to train from scratch with a log note."""
    from mmvideofm.checkpoint.convert import StateDictMismatchError
    work, _ = _trained_work_dir(tmp_path)
    other = tmp_path / 'other'
    cfg = tiny_video_config(other, max_epochs=1, model=_model(embed_dim=48),
                            load_from=str(work / 'epoch_1.pth'))
    with pytest.raises(StateDictMismatchError, match=r'(?s)policy "refuse".*/\d+ model tensors '
                                                     r'\(0.0% of the values.*--allow-mismatched-load'):
        train_tool.main([cfg])
    assert not osp.exists(other / 'epoch_1.pth')
    train_tool.main([cfg, '--allow-mismatched-load'])  # on purpose: trains, and says so
    assert 'overridden by --allow-mismatched-load' in _log_text(other)


def test_load_from_a_pretrained_backbone_fine_tunes_and_reports_counts(tmp_path):
    """Item 3: a new head (12 classes instead of 9) over the trained backbone: partial load."""
    work, _ = _trained_work_dir(tmp_path)
    ft = tmp_path / 'ft'
    cfg = tiny_video_config(ft, max_epochs=1, model=_model(num_classes=12),
                            load_from=str(work / 'epoch_1.pth'))
    train_tool.main([cfg])
    log = _log_text(ft)
    assert 'policy "fine-tune"' in log
    assert re.search(r'2 missing, kept as initialised \(cls_head.fc_cls.weight, '
                     r'cls_head.fc_cls.bias\).*2 with another shape', log), log[-3000:]


def _register_test_converter():
    from mmvideofm.registry import CONVERTERS

    def strip_official(state_dict):
        if not all(k.startswith('official.') for k in state_dict):
            raise KeyError('not an official file')
        return {k[len('official.'):]: v for k, v in state_dict.items()}

    CONVERTERS.register_module(name='testonly/official', module=strip_official, force=True)


def test_refused_checkpoints_name_the_converter_their_keys_match(tmp_path):
    """Item 12: an unconverted 'official' backbone file names the converter that fits it."""
    from mmvideofm.checkpoint.convert import StateDictMismatchError
    from mmvideofm.registry import CONVERTERS
    work, cfg = _trained_work_dir(tmp_path)
    sd = torch.load(work / 'epoch_1.pth', map_location='cpu', weights_only=False)['state_dict']
    official = tmp_path / 'official.pth'
    torch.save({'model': {'official.' + k[len('backbone.'):]: v for k, v in sd.items()
                          if k.startswith('backbone.')}}, official)
    _register_test_converter()
    try:
        with pytest.raises(StateDictMismatchError, match=r"converter 'testonly/official'"):
            test_tool.main([cfg, str(official)])
        ft = tiny_video_config(tmp_path / 'ft', max_epochs=1, load_from=str(official))
        with pytest.raises(StateDictMismatchError,
                           match=r"(?s)policy \"refuse\".*convert_checkpoint.py testonly/official"):
            train_tool.main([ft])
    finally:
        CONVERTERS._module_dict.pop('testonly/official', None)


def test_missing_init_checkpoint_names_the_config_key(tmp_path):
    """Item 12: the error names the key to override, not only the missing file."""
    init = dict(type='Pretrained', checkpoint=str(tmp_path / 'pretrained' / 'vit.pth'))
    cfg = tiny_video_config(tmp_path / 'run', max_epochs=1, model=_model(init_cfg=init))
    with pytest.raises(FileNotFoundError, match=r'(?s)model.backbone.init_cfg.checkpoint=.*vit.pth'
                                                r'.*--cfg-options model.backbone.init_cfg.checkpoint=PATH'):
        train_tool.main([cfg])


@pytest.mark.skipif(torch.cuda.is_available(), reason='the CPU fallback')
def test_amp_falls_back_to_fp32_on_cpu(tmp_path):
    """Item 11: --amp and AmpOptimWrapper(bf16) configs used to die on an assertion on CPU."""
    work = tmp_path / 'amp'
    train_tool.main([tiny_video_config(work, max_epochs=1), '--amp'])
    assert '--amp needs a GPU; none here, so training runs in fp32' in _log_text(work)
    bf16 = tmp_path / 'bf16'
    cfg = tiny_video_config(bf16, max_epochs=1, optim_wrapper=dict(
        type='AmpOptimWrapper', dtype='bfloat16', optimizer=dict(type='AdamW', lr=1e-3)))
    train_tool.main([cfg])
    assert ('optim_wrapper.type=AmpOptimWrapper (dtype=bfloat16) needs a GPU'
            in _log_text(bf16))
    assert osp.isfile(bf16 / 'epoch_1.pth')


def test_first_run_with_resume_says_it_starts_fresh(tmp_path):
    """Noise: 'Auto resumed from the latest checkpoint None' on a first run."""
    work = tmp_path / 'fresh'
    train_tool.main([tiny_video_config(work, max_epochs=1), '--resume'])
    log = _log_text(work)
    assert 'latest checkpoint None' not in log
    assert 'no checkpoint in' in log and osp.isfile(work / 'epoch_1.pth')


def test_imports_do_not_warn_about_mmcv_lite_ops():
    """Noise: mmcv-lite's MultiScaleDeformableAttention warning on every command."""
    code = ('import warnings; warnings.simplefilter("default"); '
            'from mmvideofm.engine.runner_utils import register_all; register_all()')
    out = subprocess.run([sys.executable, '-c', code], env=_env(), capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert 'MultiScaleDeformableAttention' not in out.stderr


@pytest.mark.parametrize('save_teacher', [False, True])
def test_key_checks_do_not_require_the_teacher(tmp_path, save_teacher):
    """Issue #9: a checkpoint without ``teacher.*`` (the default) passes tools/test.py's
    strict check and train.py's load_from policy, whether or not the model saves it."""
    from mmvideofm.checkpoint.pretrained import check_load_from
    from mmvideofm.engine.runner_utils import verify_checkpoint_keys
    from mmvideofm.models.algorithms.base import BaseVideoAlgorithm

    class Tiny(BaseVideoAlgorithm):
        def __init__(self, save_teacher):
            super().__init__(teacher=torch.nn.Linear(3, 3), save_teacher=save_teacher)
            self.fc = torch.nn.Linear(3, 2)

        def loss(self, inputs, data_samples=None):
            return {'loss': self.fc(inputs).sum()}

        def extract_feat(self, inputs):
            return self.fc(inputs)

    path = tmp_path / 'student.pth'
    torch.save({'state_dict': Tiny(False).state_dict()}, path)
    model = Tiny(save_teacher)
    verify_checkpoint_keys(model, str(path))  # no error
    assert 'policy "exact"' in check_load_from(model, str(path))


def test_runner_type_of_the_config_is_built(tmp_path):
    """The FSDP config names ``runner_type='FlexibleRunner'``; the tools used to ignore it."""
    from mmengine.runner import FlexibleRunner

    from mmvideofm.engine.runner_utils import build_runner, load_config
    cfg = load_config(tiny_video_config(tmp_path / 'run', max_epochs=1), work_dir=str(tmp_path))
    assert not isinstance(build_runner(cfg), FlexibleRunner)
    cfg.runner_type = 'FlexibleRunner'
    assert isinstance(build_runner(cfg), FlexibleRunner)
