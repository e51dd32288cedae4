"""tools/convert_checkpoint.py: every plugin's converters are listed and suggested (#10.8)."""
import os
import os.path as osp
import subprocess
import sys

import torch

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOOL = osp.join(REPO, 'tools', 'convert_checkpoint.py')
ENV = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')


def _run(*args):
    return subprocess.run([sys.executable, TOOL, *args], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=300)


def test_misspelt_converter_suggests_from_every_plugin(tmp_path):
    """The user's command: a fresh process, plugins not imported by anyone beforehand."""
    out = _run('umtt', str(tmp_path / 'in.pth'), str(tmp_path / 'out.pth'))
    assert out.returncode != 0
    msg = out.stderr
    assert "did you mean ['umt'" in msg, msg[-2000:]
    for name in ('umt', 'umt/k710to400', 'videomaev2', 'videomaev2/k710to400', 'point_nn'):
        assert repr(name) in msg, (name, msg[-2000:])
    assert 'Traceback' not in msg  # a clear message, not a stack


def _tool():
    import importlib.util
    spec = importlib.util.spec_from_file_location('convert_checkpoint_tool', TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_list_and_convert_point_nn(tmp_path, capsys):
    tool = _tool()
    assert tool.main(['--list']) == 0
    assert {'umt', 'umt/k710to400', 'videomaev2', 'point_nn'} <= set(capsys.readouterr().out.split())
    src, dst = tmp_path / 'official.pth', tmp_path / 'ours.pth'
    torch.save({'model': {'EncP.raw_point_embed.weight': torch.ones(2)}}, src)
    assert tool.main(['point_nn', str(src), str(dst)]) == 0
    saved = torch.load(dst, weights_only=True)
    assert saved['meta']['converter'] == 'point_nn'
    assert list(saved['state_dict']) == ['backbone.raw_point_embed.weight']
