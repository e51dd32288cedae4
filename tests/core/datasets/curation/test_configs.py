"""The shipped curation configs build their stages; the real-data one names missing models."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmvideofm.datasets.curation import CurationPipeline

from .conftest import REPO


def test_real_data_config_builds_and_names_the_missing_local_model(tmp_path):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'internvid', 'curate_internvid.py'))
    pipe = CurationPipeline(work_dir=str(tmp_path), inputs=cfg.inputs, stages=cfg.stages,
                            subsets=cfg.subsets, output=cfg.output, backend=dict(type='local'))
    assert [s.name for s in pipe.stages] == ['scenes', 'captions', 'umt_score', 'aesthetic',
                                             'clip_score']
    assert pipe.stages[0].threshold == 27.0
    with pytest.raises(FileNotFoundError, match=r'captions\.backend\.captioner\.model'):
        pipe.stages[1].ensure_setup()
    with pytest.raises(ValueError, match="needs \\['scenes'\\]"):
        CurationPipeline(work_dir=str(tmp_path), inputs=cfg.inputs, stages=cfg.stages[1:2])
