"""tools/seine/generate.py and evaluate_transitions.py on a tiny pixel-space SEINE."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
UNET = dict(in_channels=7, out_channels=3, down_block_types=['CrossAttnDownBlock3D', 'DownBlock3D'],
            up_block_types=['UpBlock3D', 'CrossAttnUpBlock3D'], block_out_channels=[16, 32],
            layers_per_block=1, norm_num_groups=8, cross_attention_dim=16,
            attention_head_dim=[1, 2], rotary_dim=8)


def _tool(name):
    spec = importlib.util.spec_from_file_location(f'seine_{name}',
                                                  osp.join(REPO, 'tools', 'seine', f'{name}.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    from projects.seine import SEINEUNet
    root = tmp_path_factory.mktemp('seine_gen')
    torch.manual_seed(0)
    unet = SEINEUNet(**UNET)
    full = dict(unet.state_dict())
    full['down_blocks.0.attentions.0.transformer_blocks.0.attn_temp.rotary_emb.freqs'] = \
        unet.rotary_emb.freqs.clone()
    torch.save({'ema': full}, root / 'seine.pt')
    (root / 'unet.json').write_text(json.dumps(UNET))
    rng = np.random.default_rng(0)
    for name in ('a', 'b'):
        Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(root / f'{name}.png')
    return root


@pytest.mark.parametrize('mode,images,frames', [('transition', ['a', 'b'], 4),
                                                ('predict', ['a'], 4 + 3)])
def test_generate_writes_mp4_and_grid(files, mode, images, frames, capsys):
    out = str(files / f'{mode}.mp4')
    res = _tool('generate').main([mode, '--images', *[str(files / f'{i}.png') for i in images],
                                  '--checkpoint', str(files / 'seine.pt'), '--unet-config',
                                  str(files / 'unet.json'), '--num-frames', '4',
                                  '--trained-frames', '4', '--steps', '3', '--out', out])
    assert res['num_frames'] == frames and osp.getsize(out) > 0
    grid = np.asarray(Image.open(res['png']))
    assert grid.shape == (16, 16 * min(8, frames), 3)
    assert len(_tool('evaluate_transitions').read_frames(out)) == frames
    with pytest.raises(SystemExit, match='needs 2 image'):
        _tool('generate').main(['transition', '--images', str(files / 'a.png'), '--checkpoint',
                                str(files / 'seine.pt'), '--unet-config',
                                str(files / 'unet.json')])


def test_convert_checkpoint_tool(files, tmp_path):
    # the project's converter tool reads seine.pt memory-mapped from its 'ema' key
    spec = importlib.util.spec_from_file_location(
        'convert_checkpoint', osp.join(REPO, 'tools', 'convert_checkpoint.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / 'unet.pth'
    assert tool.main(['seine', str(files / 'seine.pt'), str(out)]) == 0
    sd = torch.load(out, weights_only=True)['state_dict']
    assert 'conv_in.weight' in sd and not any(k.endswith('rotary_emb.freqs') for k in sd)
