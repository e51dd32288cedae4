"""Score stages (video-text cosine, LAION aesthetic, CLIPScore), the aesthetic converter and the
caption backends' errors."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmvideofm.checkpoint import get_converter
from mmvideofm.datasets.curation import (
    AestheticScore,
    CLIPScore,
    LaionAestheticMLP,
    MultiScaleCaptions,
    TransformersCaptioner,
    VideoTextScore,
)
from mmvideofm.datasets.curation.base import uniform_frame_indices
from mmvideofm.datasets.video_io import open_video

from .conftest import CONFIG


def _stage_cfg(type_: str) -> dict:
    cfg = Config.fromfile(CONFIG).to_dict()
    return dict(next(s for s in cfg['stages'] if s['type'] == type_))


def _video_and_clips(long_videos, curated, n: int = 0):
    root, meta = long_videos
    work = curated[0]
    vid = meta['videos'][n]['id']
    video = dict(key=vid, path=osp.join(root, 'videos', f'{vid}.mp4'))
    load = lambda s: json.load(open(osp.join(work, 'stages', s, f'{vid}.json')))['result']  # noqa
    return video, load('scenes'), load('captions'), load


def test_video_text_score_is_the_model_cosine_on_4_uniform_frames(long_videos, curated):
    video, scenes, caps, load = _video_and_clips(long_videos, curated)
    cfg = _stage_cfg('VideoTextScore')
    stage = VideoTextScore(**{k: v for k, v in cfg.items() if k != 'type'}).ensure_setup()
    clip = scenes['clips'][0]
    with open_video(video['path']) as r:
        frames = r.get_frames(uniform_frame_indices(clip['start_frame'], clip['end_frame'], 4))
    x = torch.from_numpy(frames).permute(3, 0, 1, 2)[None, None].float()  # (1, 1, C, T, H, W)
    model = stage.model
    x = (x - model.data_preprocessor.mean.view(1, 1, 3, 1, 1, 1)) / \
        model.data_preprocessor.std.view(1, 1, 3, 1, 1, 1)
    with torch.no_grad():
        feats = model.retrieval_features(x, [caps['Caption'][0]])
    cos = torch.nn.functional.cosine_similarity(
        feats['video_feat'][0], feats['text_feat'][0][None], dim=-1).mean()
    assert load('umt_score')['UMT_Score'][0] == pytest.approx(float(cos), abs=1e-5)
    with pytest.raises(ValueError, match='exactly one'):
        VideoTextScore()


def test_aesthetic_is_max_over_4_frames_and_clipscore_one_seeded_frame(long_videos, curated):
    video, scenes, caps, load = _video_and_clips(long_videos, curated)
    aes = _stage_cfg('AestheticScore')
    stage = AestheticScore(**{k: v for k, v in aes.items() if k != 'type'}).ensure_setup()
    res = stage.process(video, dict(scenes=scenes))
    assert res == load('aesthetic')
    stage.reduce = 'mean'
    means = stage.process(video, dict(scenes=scenes))['Aesthetic_Score']
    assert all(m <= x + 1e-6 for m, x in zip(means, res['Aesthetic_Score']))
    cs = _stage_cfg('CLIPScore')
    stage = CLIPScore(**{k: v for k, v in cs.items() if k != 'type'}).ensure_setup()
    again = stage.process(video, dict(scenes=scenes, captions=caps))
    assert again == load('clip_score')  # the random frame depends on (seed, video, clip) only
    assert all(0 <= s <= 2.5 for s in again['CLIP_Score'])


def test_laion_aesthetic_converter_both_official_layouts(tmp_path):
    conv = get_converter('internvid/laion_aesthetic')
    mlp = LaionAestheticMLP(768)
    official = {f'module.{k}': v for k, v in mlp.state_dict().items()}
    assert set(conv(official)) == {f'layers.{i}.{p}' for i in (0, 2, 4, 6, 7)
                                   for p in ('weight', 'bias')}
    lin = LaionAestheticMLP(768, 'linear')
    sd = conv({'weight': torch.randn(1, 768), 'bias': torch.randn(1)})
    lin.load_state_dict(sd, strict=True)
    with pytest.raises(KeyError, match='aesthetic'):
        conv({'foo': torch.zeros(1)})
    # a stage loads the official file through the converter
    path = str(tmp_path / 'sac+logos+ava1-l14-linearMSE.pth')
    torch.save(official, path)
    from mmvideofm.datasets.curation.scoring import load_aesthetic_mlp
    loaded = load_aesthetic_mlp(path, 768, None)
    x = torch.nn.functional.normalize(torch.randn(3, 768), dim=-1)
    mlp.eval()
    torch.testing.assert_close(loaded(x), mlp(x))
    with pytest.raises(ValueError, match='scores.mlp_weights'):
        load_aesthetic_mlp(None, 768, None)


def test_missing_local_model_paths_name_the_config_key(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"captions\.backend\.captioner\.model"):
        TransformersCaptioner(captioner=dict(model=str(tmp_path / 'blip2')))
    with pytest.raises(ValueError, match=r"captions\.backend\.captioner\.model"):
        TransformersCaptioner(captioner=dict())
    stage = MultiScaleCaptions(backend=dict(type='TransformersCaptioner',
                                            captioner=dict(model=str(tmp_path / 'x'))))
    with pytest.raises(FileNotFoundError, match='nothing is downloaded'):
        stage.ensure_setup()
    with pytest.raises(FileNotFoundError, match=r'scores\.clip\.pretrained'):
        AestheticScore(clip=dict(model_name='ViT-L-14', pretrained=str(tmp_path / 'c.pt')),
                       random_seed=0).ensure_setup()


def test_fine_captions_sample_one_frame_per_second():
    stage = MultiScaleCaptions(backend=dict(type='OracleCaptioner', ground_truth='unused'))
    assert stage.fine_indices(0, 24, 8.0) == [0, 8, 16]
    assert stage.fine_indices(10, 14, 8.0) == [10]  # under a second: one frame
    assert np.all(np.diff(stage.fine_indices(0, 300, 30.0)) == 30)
