from . import (
    hooks,  # noqa: F401  (registers TrainingCurveHook)
    optimizers,  # noqa: F401  (registers LayerDecayOptimWrapperConstructor)
)
from .config_check import ConfigError, check_config

__all__ = ['ConfigError', 'check_config']
