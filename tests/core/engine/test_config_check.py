import pytest

from mmvideofm.engine import ConfigError, check_config
from mmvideofm.engine.runner_utils import register_all

register_all()


def _cfg(**kw):
    cfg = dict(default_scope='mmvideofm',
               model=dict(type='Recognizer3D',
                          backbone=dict(type='mmaction.X3D', gamma_w=1),
                          cls_head=dict(type='X3DHead', num_classes=3, in_channels=432)),
               optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)))
    cfg.update(kw)
    return cfg


def test_valid_config_passes():
    check_config(_cfg())


def test_misspelt_runner_key_is_named():
    cfg = _cfg()
    cfg['optim_wraper'] = cfg.pop('optim_wrapper')
    with pytest.raises(ConfigError, match="'optim_wraper': did you mean 'optim_wrapper'"):
        check_config(cfg)


def test_unknown_type_lists_nearest_names():
    cfg = _cfg()
    cfg['model']['cls_head']['type'] = 'X3DHaed'
    with pytest.raises(ConfigError, match=r"model.cls_head.type='X3DHaed'.*X3DHead"):
        check_config(cfg)


def test_unknown_argument_lists_nearest_parameter():
    cfg = _cfg()
    cfg['optim_wrapper'] = dict(type='OptimWrapper', optimzer=dict(type='AdamW', lr=1e-3))
    with pytest.raises(ConfigError, match=r"OptimWrapper has no argument 'optimzer'"):
        check_config(cfg)


def test_argument_behind_kwargs_warns_with_nearest_name():
    cfg = _cfg()
    cfg['model']['cls_head']['num_clases'] = 3
    with pytest.warns(UserWarning, match=r"X3DHead has no argument 'num_clases'.*num_classes"):
        check_config(cfg)


def test_helper_variables_are_not_flagged():
    check_config(_cfg(train_pipeline=[dict(type='PackActionInputs')], data_root='data/x'))
