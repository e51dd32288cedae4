"""The synthetic instruction-data base config builds datasets on a fresh export."""
import os.path as osp

from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from mmvideofm.datasets.synthetic import TASKS, WorldConfig
from mmvideofm.datasets.synthetic.instruction import (
    SYNTHETIC_TOKENIZER_DIR,
    export_instruction_data,
)
from mmvideofm.engine.config_overrides import propagate_path_overrides
from mmvideofm.registry import DATASETS

ROOT = osp.join(osp.dirname(__file__), '..', '..', '..')
CONFIG = osp.join(ROOT, 'configs', '_base_', 'datasets', 'synthetic_instruction.py')


def test_base_config_datasets(tmp_path):
    init_default_scope('mmvideofm')
    out = str(tmp_path / 'it')
    export_instruction_data(out, num_train=2, num_val=1, config=WorldConfig(num_frames=8),
                            image_every=2, progress=False)
    cfg = Config.fromfile(CONFIG)
    options = dict(data_root=out)  # what --cfg-options data_root=... does in tools/train.py
    assert 'train_dataloader.dataset.datasets.2.ann_file' in propagate_path_overrides(cfg, options)
    cfg.merge_from_dict(options)
    assert osp.samefile(osp.join(ROOT, cfg.synthetic_tokenizer_dir), SYNTHETIC_TOKENIZER_DIR)
    build = DATASETS.build

    train = build(cfg.train_dataloader.dataset)
    assert len(train) == 3 * 2 * len(TASKS)  # caption + open QA + MCQ rows, 2 clips per task
    batch = pseudo_collate([train[k] for k in (0, len(train) - 1)])
    assert [tuple(x.shape) for x in batch['inputs']] == [(1, 3, 8, 32, 32)] * 2
    metas = [s.metainfo for s in batch['data_samples']]
    assert metas[1]['conversation'].startswith(metas[1]['qa'][0]['i'] + ' ###Human: <Video>')
    assert 'Best option:(' in metas[1]['conversation']
    image = build(cfg.it_image_dataloader.dataset)[0]
    assert tuple(image['inputs'].shape) == (1, 3, 1, 32, 32)
    caption = build(cfg.caption_dataloader.dataset)[0]['data_samples'].metainfo
    assert caption['text'] == caption['caption'] and caption['video_idx'] == 0
    val = build(cfg.val_mcq_dataset)  # 'middle' frames, QA order kept: deterministic
    first, again = (val[0]['data_samples'].metainfo['conversation'] for _ in range(2))
    assert first == again and first.endswith(' ###')
