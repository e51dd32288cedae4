"""The tiny VideoChat2 through its three stages (mmengine Runner) on the synthetic world and
the tiny MVBench through the harness, via tools/experiments/videochat2_synthetic.py."""
import importlib.util
import os.path as osp

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))


def _experiment():
    spec = importlib.util.spec_from_file_location(
        'videochat2_synthetic', osp.join(REPO, 'tools', 'experiments', 'videochat2_synthetic.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_three_stages_quick(tmp_path):
    """Smallest budget: every stage trains from the previous one's checkpoint (the stage-3
    loss falls), and both MVBench runs score every question."""
    res = _experiment().main([
        '--work-dir', str(tmp_path), '--num-clips', '4', '--num-mvbench-train', '4',
        '--num-per-task', '2', '--stage1-epochs', '1', '--stage2-epochs', '1',
        '--stage3-epochs', '2'])
    first, last = res['stages']['stage3']['loss']
    assert last < first
    for board in res['mvbench'].values():
        assert 0 <= board['Avg'] <= 100 and len(board) == 11  # 10 tasks + Avg
