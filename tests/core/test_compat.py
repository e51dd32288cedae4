import importlib


def test_mmaction_models_import_after_mmvideofm():
    import mmvideofm  # noqa: F401
    mmaction_models = importlib.import_module('mmaction.models')
    assert hasattr(mmaction_models, 'Recognizer3D')
    import pytest
    from mmaction.models.localizers import DRN
    with pytest.raises(ImportError, match='2714'):
        DRN()


def test_registries_are_children_of_mmaction():
    from mmaction.registry import MODELS as MMACTION_MODELS

    from mmvideofm.registry import MODELS
    assert MODELS.parent is MMACTION_MODELS and MODELS.scope == 'mmvideofm'
    assert MODELS.get('Recognizer3D') is MMACTION_MODELS.get('Recognizer3D')
