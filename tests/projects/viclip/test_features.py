"""ViCLIP video and text embeddings through mmvideofm.apis and tools/extract_features.py."""
import os.path as osp
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import projects.viclip  # noqa: F401
from mmvideofm.apis import extract_features, extract_text_features, init_model
from mmvideofm.datasets import SyntheticVideoDataset, write_video

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CONFIG = osp.join(REPO, 'configs', 'viclip', 'viclip-tiny-p8_synthetic-direction-8x32.py')
sys.path.insert(0, REPO)

from tools import extract_features as tool  # noqa: E402


def test_video_and_text_embeddings_through_apis_and_tool(tmp_path):
    torch.manual_seed(0)
    ckpt = str(tmp_path / 'viclip.pth')
    torch.save({'state_dict': init_model(CONFIG, None, device='cpu').state_dict()}, ckpt)
    model = init_model(CONFIG, ckpt, device='cpu')
    clip = SyntheticVideoDataset(num_samples=1, num_frames=8, size=32, task='direction',
                                 world_cfg=dict(max_objects=2)).get_clip(0)
    write_video(str(tmp_path / 'a.mp4'), clip.frames, fps=8)
    feats = extract_features(model, str(tmp_path / 'a.mp4'))
    assert feats.shape == (1, 32)  # the clip embedding (official encode_vision, test path)
    text = extract_text_features(model, [clip.caption, 'a red circle moves up'])
    assert text.shape == (2, 32)
    torch.testing.assert_close(text.norm(dim=-1), torch.ones(2))
    torch.testing.assert_close(text[:1], model.text_features([clip.caption], normalize=True))
    # the tool: one .npy per video and texts.npy, the same numbers
    (tmp_path / 'videos.txt').write_text('a.mp4\n')
    (tmp_path / 'texts.txt').write_text(f'{clip.caption}\na red circle moves up\n')
    out = tmp_path / 'out'
    assert tool.main([CONFIG, ckpt, '--video-list', str(tmp_path / 'videos.txt'), '--data-root',
                      str(tmp_path), '--text-list', str(tmp_path / 'texts.txt'), '--out',
                      str(out), '--device', 'cpu', '--no-progress']) == 0
    np.testing.assert_allclose(np.load(out / 'texts.npy'), text.numpy(), atol=1e-6)
    saved = np.load(out / 'a.mp4.npy')
    np.testing.assert_allclose(saved, feats.numpy(), atol=1e-5)
    # cosine video-text similarity from the saved arrays = the model's
    sim = F.normalize(torch.from_numpy(saved), dim=-1) @ torch.from_numpy(
        np.load(out / 'texts.npy')).T
    assert sim.shape == (1, 2)


def test_text_features_need_a_video_text_model(tmp_path):
    with pytest.raises(TypeError, match='video-text model'):
        extract_text_features(torch.nn.Linear(2, 2), ['a'])
    with pytest.raises(SystemExit, match='--text-list'):
        tool.main([CONFIG, '--out', str(tmp_path / 'unused')])


def test_video_shorter_than_the_frame_count(tmp_path):
    """A 3-frame video under the 8-frame test pipeline: the official segment sampling takes
    the 3 frames and pads with the last one; the model still gets 8."""
    from mmvideofm.apis import build_test_pipeline, prepare_inputs
    model = init_model(CONFIG, None, device='cpu')
    frames = (np.arange(3)[:, None, None, None] * 80 + np.zeros((3, 32, 32, 3))).astype(np.uint8)
    write_video(str(tmp_path / 'short.mp4'), frames, fps=8)
    inputs = prepare_inputs(model, str(tmp_path / 'short.mp4'),
                            build_test_pipeline(model.cfg))['inputs']
    assert inputs.shape[-3:] == (8, 32, 32)
    assert extract_features(model, str(tmp_path / 'short.mp4')).shape == (1, 32)
