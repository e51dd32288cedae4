"""Shared synthetic long videos and one full curation run (oracle captions, tiny models)."""
import copy
import os.path as osp

import pytest
from mmengine.config import Config

from mmvideofm.datasets.curation import CurationPipeline, move_data_root
from mmvideofm.datasets.synthetic import WorldConfig
from mmvideofm.datasets.synthetic.long_video import export_long_videos

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..', '..'))
CONFIG = osp.join(REPO, 'configs', 'internvid', 'curate_synthetic.py')
NUM_VIDEOS = 12


def curation_kwargs(data_root: str, work_dir: str, **backend) -> dict:
    """CurationPipeline arguments of the shipped synthetic config, re-rooted at ``data_root``."""
    cfg = Config.fromfile(CONFIG).to_dict()
    cfg = move_data_root(cfg, cfg['data_root'], data_root)
    cfg['subsets']['div']['num'] = cfg['subsets']['random']['num'] = 20  # of ~40 clips
    return dict(work_dir=work_dir, inputs=cfg['inputs'], stages=copy.deepcopy(cfg['stages']),
                subsets=cfg['subsets'], output=cfg['output'],
                backend=backend or dict(type='local', workers=1), progress=False)


@pytest.fixture(scope='session')
def long_videos(tmp_path_factory) -> tuple[str, dict]:
    """12 long videos (32 px, 8 fps) and their ground truth."""
    root = str(tmp_path_factory.mktemp('long_videos'))
    meta = export_long_videos(root, NUM_VIDEOS, WorldConfig(size=32, max_objects=2), seed=0)
    return root, meta


@pytest.fixture(scope='session')
def curated(long_videos, tmp_path_factory) -> tuple[str, dict, CurationPipeline]:
    """The shipped synthetic curation config run once on ``long_videos`` (in this process)."""
    root, _ = long_videos
    work = str(tmp_path_factory.mktemp('curated'))
    pipe = CurationPipeline(**curation_kwargs(root, work))
    return work, pipe.run(), pipe
