"""The shipped curation configs build their stages; the real-data one names missing models."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmvideofm.datasets.curation import CurationPipeline

from .conftest import REPO, curation_kwargs


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


def test_resuming_with_a_changed_stage_config_is_refused(long_videos, curated):
    work, summary, _ = curated
    kwargs = curation_kwargs(long_videos[0], work)
    kwargs['stages'][0]['threshold'] = 30.0
    with pytest.raises(ValueError, match=r"stage 'scenes'.*\['threshold'\].*delete"):
        CurationPipeline(**kwargs).run()
    # the same config resumes: nothing runs again, same outputs
    again = CurationPipeline(**curation_kwargs(long_videos[0], work)).run()
    assert all(s['ran_now'] == 0 for s in again['stages'].values())
    assert again['clips'] == summary['clips'] and again['subsets'] == summary['subsets']
