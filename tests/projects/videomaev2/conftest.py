import pytest
from mmengine.registry import DefaultScope

import projects.videomaev2  # noqa: F401  (registers the plugin)


@pytest.fixture(autouse=True)
def _mmvideofm_scope():
    """Build configs as the runners do: default scope ``mmvideofm``."""
    name = 'test_videomaev2'
    scope = DefaultScope.get_instance(name, scope_name='mmvideofm') \
        if not DefaultScope.check_instance_created(name) else DefaultScope.get_instance(name)
    with DefaultScope.overwrite_default_scope(scope.scope_name):
        yield
