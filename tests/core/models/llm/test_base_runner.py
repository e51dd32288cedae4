"""BaseVideoLLM trained by the mmengine Runner on the synthetic world's instruction data
(official VideoChat2 format, InstructionDataset pipeline): the data samples the dataset packs
are what the model reads, and the loss goes down."""
import json
import os.path as osp
from pathlib import Path

import pytest
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmvideofm.datasets.synthetic.instruction import export_instruction_data
from mmvideofm.engine.runner_utils import load_config

BASE = Path(__file__).parents[4] / 'configs' / '_base_' / 'models' / 'tiny_video_llm.py'

CONFIG = '''
_base_ = [{base!r}]
from mmvideofm.datasets.instruction import INSTRUCTION_META_KEYS
default_scope = 'mmvideofm'
model = dict(num_frames=4, llm=dict(peft=None, tuning='full'))
train_pipeline = [
    dict(type='VideoInit'),
    dict(type='InstructionSampleFrames', num_frames=4),
    dict(type='VideoDecode'),
    dict(type='mmaction.Resize', scale=(-1, 32)),
    dict(type='mmaction.CenterCrop', crop_size=32),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    dict(type='BuildConversation', template='vicuna_v0'),
    dict(type='mmaction.PackActionInputs', meta_keys=INSTRUCTION_META_KEYS)]
train_dataloader = dict(
    batch_size=4, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='InstructionDataset', ann_file={ann!r}, data_prefix=dict(video={root!r}),
                 pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=3e-3, weight_decay=0.0))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=8)
default_hooks = dict(logger=dict(type='LoggerHook', interval=1),
                     checkpoint=dict(type='CheckpointHook', interval=1000))
randomness = dict(seed=0)
'''


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('it_data'))
    export_instruction_data(root, num_train=4, num_val=0, tasks=['direction'],
                            image_every=0, progress=False)
    return root


def test_runner_trains_on_instruction_data(data, tmp_path):
    ann = osp.join(data, 'it_caption_train.json')
    rows = json.load(open(ann))
    assert rows and 'video' in rows[0] and 'QA' in rows[0]
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text(CONFIG.format(base=str(BASE), ann=ann, root=data))
    cfg = load_config(str(cfg_file), work_dir=str(tmp_path / 'work'))
    runner = Runner.from_cfg(cfg)
    losses = []
    runner.register_hook(_LossRecorder(losses), priority='LOWEST')
    runner.train()
    assert len(losses) == 8
    assert sum(losses[-2:]) / 2 < 0.8 * sum(losses[:2]) / 2, losses


class _LossRecorder(Hook):
    def __init__(self, losses: list) -> None:
        self.losses = losses

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.losses.append(outputs['loss'].item())
