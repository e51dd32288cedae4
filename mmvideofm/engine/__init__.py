from . import hooks, optimizers, wrappers  # noqa: F401  (register hooks, constructors, wrappers)
from .config_check import ConfigError, check_config

__all__ = ['ConfigError', 'check_config']
