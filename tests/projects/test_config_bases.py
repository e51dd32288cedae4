"""configs/_base_/{models,schedules}: each base is what the recipes that use it run.

Every model base builds (full size, on the meta device) and equals, up to the fields a leaf
sets (class count, init weights), the model of a released recipe; the normalisation
constants of the configs equal ``mmvideofm.constants``.
"""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import projects.umt  # noqa: F401
import projects.videomaev2  # noqa: F401
from mmvideofm.constants import IMAGENET_MEAN_255, IMAGENET_PREPROCESSOR, IMAGENET_STD_255
from mmvideofm.registry import MODELS

CONFIGS = Path(__file__).parents[2] / 'configs'
init_default_scope('mmvideofm')


def _model(path: str) -> dict:
    return Config.fromfile(str(CONFIGS / path)).to_dict()['model']


def _set_classes(model: dict, num_classes: int) -> dict:
    model['cls_head']['num_classes'] = num_classes
    for aug in model['data_preprocessor']['blending']['augments']:
        aug['num_classes'] = num_classes
    return model


# (model base, leaf whose model it is, what the leaf sets on top of it besides init weights)
CASES = [
    ('umt_vit-base-p16_recognizer.py', 'umt/umt-base-p16-res224_k710-pre-ft_u8_k710-rgb.py',
     lambda m: m),
    ('umt_vit-large-p16_recognizer.py', 'umt/umt-large-p16-res224_k710-pre-ft_u8_k710-rgb.py',
     lambda m: m),
    ('umt_vit-large-p16_recognizer.py', 'umt/umt-large-p16-res224_k710-pre-ft_u8_k400-rgb.py',
     lambda m: _set_classes(m, 400)),
    ('umt_vit-base-p16_clip-b16_pretrain.py', 'umt/umt-base-p16_clip-b16_k710-pre_u8-res224.py',
     lambda m: m),
    ('videomaev2_vit-base-p16_pretrain.py',
     'videomaev2/videomaev2_vit-base-p16_dual-mask-pt-800e_hybrid-16x4-res224.py', lambda m: m),
    ('videomaev2_vit-giant-p14_pretrain.py',
     'videomaev2/videomaev2_vit-giant-p14_dual-mask-pt-1200e_hybrid-16x4-res224.py',
     lambda m: m),
    ('vit-giant-p14_recognizer.py', 'videomaev2/vit-giant-p14_videomaev2-pt_k710-ft_16x4x5-res224.py',
     lambda m: m),
    ('vit-base-p16_recognizer.py', 'videomaev2/vit-base-p16_videomaev2-pt_k710-ft_16x4x5-res224.py',
     lambda m: m),
    ('vit-small-p16_recognizer.py',
     'videomaev2/vit-small-p16_videomaev2-vit-g-dist-k710_k400-test_16x4x5-res224.py',
     lambda m: m['backbone'].update(drop_path_rate=0.) or _set_classes(m, 400)),
]


@pytest.mark.parametrize('base, leaf, leaf_sets', CASES, ids=[f'{b}->{leaf.split("/")[1]}'
                                                              for b, leaf, _ in CASES])
def test_model_base_is_the_recipe_model(base, leaf, leaf_sets):
    model = leaf_sets(_model(f'_base_/models/{base}'))
    leaf_model = _model(leaf)
    leaf_model['backbone'].pop('init_cfg', None)  # the leaf's weights
    assert model == leaf_model
    model.get('data_preprocessor', {}).pop('blending', None)  # Beta distributions, CPU only
    with torch.device('meta'):
        built = MODELS.build(model)
    assert sum(p.numel() for p in built.parameters()) > 1e6


def test_normalisation_constants_are_the_cores():
    cfg = Config.fromfile(str(CONFIGS / '_base_/models/imagenet_preprocessor.py')).to_dict()
    assert cfg['imagenet_preprocessor'] == IMAGENET_PREPROCESSOR
    data = Config.fromfile(str(CONFIGS / '_base_/datasets/kinetics_video.py'))
    assert tuple(data.img_norm_mean) == IMAGENET_MEAN_255
    assert tuple(data.img_norm_std) == IMAGENET_STD_255


@pytest.mark.parametrize('schedule', ['finetune_adamw-layer-decay_warmup-cosine.py',
                                      'pretrain_adamw_warmup-cosine.py'])
def test_schedule_bases_derive_the_scheduler_from_their_variables(schedule):
    cfg = Config.fromfile(str(CONFIGS / '_base_/schedules' / schedule))
    warmup, cosine = cfg.param_scheduler
    assert cfg.optim_wrapper.optimizer.lr == cfg.lr and cfg.train_cfg.max_epochs == cfg.max_epochs
    assert (warmup.begin, warmup.end) == (0, cfg.warmup_epochs)
    assert (cosine.begin, cosine.end) == (cfg.warmup_epochs, cfg.max_epochs)
    assert cosine.T_max == cfg.max_epochs - cfg.warmup_epochs
