import argparse

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from mmvideofm.checkpoint import (
    UnsafeCheckpointError,
    load_checkpoint_file,
    load_state_dict_checked,
    rename_keys,
    unwrap_state_dict,
)
from mmvideofm.checkpoint.convert import StateDictMismatchError


class Evil:
    def __reduce__(self):
        return (print, ('pwned',))


def test_allowlisted_objects_load(tmp_path):
    path = tmp_path / 'official.pth'
    ckpt = {'model': {'w': torch.ones(2)}, 'args': argparse.Namespace(lr=1e-3),
            'epoch': np.int64(3), 'arr': np.arange(3, dtype=np.float32),
            'buf': HistoryBuffer([1.0, 2.0], [1, 1])}
    torch.save(ckpt, path)
    out = load_checkpoint_file(path)
    assert out['args'].lr == 1e-3 and int(out['epoch']) == 3
    assert torch.equal(unwrap_state_dict(out)['w'], torch.ones(2))


def test_unsafe_class_is_named_with_escape_hatch(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': Evil()}, path)
    with pytest.raises(UnsafeCheckpointError, match=r"trusted=True") as err:
        load_checkpoint_file(path)
    assert 'print' in str(err.value) or 'builtins' in str(err.value)


def test_missing_empty_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint_file(tmp_path / 'nope.pth')
    (tmp_path / 'empty.pth').write_bytes(b'')
    with pytest.raises(ValueError, match='empty'):
        load_checkpoint_file(tmp_path / 'empty.pth')
    (tmp_path / 'bad.pth').write_bytes(b'not a checkpoint at all' * 10)
    with pytest.raises(Exception, match='bad.pth'):
        load_checkpoint_file(tmp_path / 'bad.pth')


@pytest.mark.parametrize('wrap', ['state_dict', 'model', 'module'])
def test_unwrap_containers(wrap):
    sd = {'a.weight': torch.zeros(1)}
    assert unwrap_state_dict({wrap: sd, 'epoch': 1}) == sd
    assert unwrap_state_dict({'meta': {}, 'state_dict': {'module': sd}})['a.weight'] is sd['a.weight']
    with pytest.raises(ValueError, match='no state dict'):
        unwrap_state_dict({'epoch': 3})


def test_mismatch_lists_keys_and_hints_converter():
    model = torch.nn.Sequential(torch.nn.Linear(2, 3))
    sd = {'0.weight': torch.zeros(3, 2), 'encoder.blocks.0.w': torch.zeros(1)}
    with pytest.raises(StateDictMismatchError) as err:
        load_state_dict_checked(model, sd, converter_hint='umt')
    msg = str(err.value)
    assert 'missing keys (1): 0.bias' in msg
    assert 'unexpected keys (1): encoder.blocks.0.w' in msg
    assert 'convert_checkpoint.py umt' in msg


def test_rename_keys_first_rule_wins_and_detects_collisions():
    sd = {'encoder.blocks.0.x': torch.zeros(1), 'head.w': torch.zeros(1)}
    out = rename_keys(sd, [(r'^encoder\.', 'backbone.'), (r'^head\.', 'cls_head.fc_cls.')])
    assert set(out) == {'backbone.blocks.0.x', 'cls_head.fc_cls.w'}
    with pytest.raises(KeyError, match='map to'):
        rename_keys(sd, [(r'^.*$', 'same')])


def test_mmengine_uses_safe_loader(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    path = tmp_path / 'evil.pth'
    torch.save({'x': Evil()}, path)
    with pytest.raises(UnsafeCheckpointError):
        _load_checkpoint(str(path))


class SneakyGetattr:
    def __reduce__(self):
        return (getattr, (argparse.Namespace, '__init__'))


def test_getattr_only_allowed_for_history_buffer(tmp_path):
    path = tmp_path / 'sneaky.pth'
    torch.save({'x': SneakyGetattr()}, path)
    with pytest.raises(UnsafeCheckpointError, match='not allowed'):
        load_checkpoint_file(path)


def test_mmengine_message_hub_loads_in_a_fresh_process(tmp_path):
    """HistoryBuffer's statistics table is empty until one is built; loading must not care."""
    import subprocess
    import sys
    path = tmp_path / 'hub.pth'
    torch.save({'message_hub': {'log_scalars': {'loss': HistoryBuffer([1.0], [1])}}}, path)
    code = ('import mmvideofm; from mmvideofm.checkpoint import load_checkpoint_file; '
            f'print(type(load_checkpoint_file({str(path)!r})["message_hub"]["log_scalars"]["loss"]).__name__)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith('HistoryBuffer')


@pytest.mark.parametrize('strategy', ['cos', 'linear'])
def test_one_cycle_scheduler_state_loads_and_resumes(tmp_path, strategy):
    """mmengine's OneCycleParamScheduler state pickles its anneal function as
    getattr(OneCycleParamScheduler, '_annealing_cos'): runner checkpoints of OneCycle configs
    must load (tools/test.py, --resume) and continue the same schedule."""
    from mmengine.optim.scheduler import OneCycleLR

    def make():
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        return opt, OneCycleLR(opt, eta_max=0.1, total_steps=10, anneal_strategy=strategy)
    opt, sched = make()
    for _ in range(4):
        opt.step()
        sched.step()
    path = tmp_path / 'epoch_4.pth'
    torch.save({'param_schedulers': [sched.state_dict()]}, path)
    state = load_checkpoint_file(path)['param_schedulers'][0]
    assert state['anneal_func'] is sched.anneal_func
    opt2, sched2 = make()
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(state)
    for _ in range(3):
        opt.step()
        sched.step()
        opt2.step()
        sched2.step()
        assert opt2.param_groups[0]['lr'] == opt.param_groups[0]['lr']


class BuildScheduler:
    def __reduce__(self):
        from mmengine.optim.scheduler.param_scheduler import OneCycleParamScheduler
        return (OneCycleParamScheduler, ())


class SchedulerMethod:
    def __reduce__(self):
        from mmengine.optim.scheduler.param_scheduler import OneCycleParamScheduler
        return (getattr, (OneCycleParamScheduler, 'step'))


@pytest.mark.parametrize('obj', [BuildScheduler(), SchedulerMethod()])
def test_one_cycle_scheduler_gives_only_its_anneal_functions(tmp_path, obj):
    path = tmp_path / 'sneaky.pth'
    torch.save({'x': obj}, path)
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint_file(path)
