"""Converters and benchmarks live in the mmengine CONVERTERS / BENCHMARKS registries."""
import pytest

from mmvideofm.checkpoint import CONVERTERS, get_converter, register_converter
from mmvideofm.engine.benchmark import BENCHMARKS, get_benchmark, register_benchmark
from mmvideofm.registry import BENCHMARKS as REG_BENCHMARKS
from mmvideofm.registry import CONVERTERS as REG_CONVERTERS


def test_same_registry_objects():
    assert CONVERTERS is REG_CONVERTERS and BENCHMARKS is REG_BENCHMARKS


def test_slash_names_register_and_resolve():
    def conv(sd):
        return sd

    register_converter('testplugin/a_to_b')(conv)
    register_converter('testplugin/a_to_b')(conv)  # re-registering the same function is fine
    assert get_converter('testplugin/a_to_b') is conv
    assert CONVERTERS.get('testplugin/a_to_b') is conv  # mmengine's own lookup agrees
    with pytest.raises(KeyError, match='already registered'):
        register_converter('testplugin/a_to_b')(lambda sd: sd)

    def bench(argv):
        return {}

    register_benchmark('testplugin/speed')(bench)
    assert get_benchmark('testplugin/speed') is bench


def test_dotted_names_refused():
    # mmengine reads 'a.b' as name 'b' in scope 'a': such a name could never be looked up
    with pytest.raises(ValueError, match='without "."'):
        register_converter('umt.k710')
    with pytest.raises(ValueError, match='without "."'):
        register_benchmark('umt.forward')


def test_lookup_has_no_import_path_fallback():
    # Registry.get would return torch.load for 'torch.load'; a converter name must be exact
    with pytest.raises(KeyError, match='no checkpoint converter named .*torch.load'):
        get_converter('torch.load')
    with pytest.raises(KeyError, match='Registered:'):
        get_benchmark('nope/none')


def test_registries_do_not_import_plugins():
    import inspect

    import mmvideofm.checkpoint.convert as convert
    import mmvideofm.engine.benchmark as benchmark
    for mod in (convert, benchmark):
        src = inspect.getsource(mod)
        for pattern in ("import_module(f'projects", "import_module('projects",
                        'import_modules_from_strings', 'import projects'):
            assert pattern not in src.replace('"import projects.<plugin>"', ''), mod.__name__
