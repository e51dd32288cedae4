# registers hooks, optimizer constructors, model wrappers and the FSDP wrap policy
from . import fsdp, hooks, optimizers, wrappers  # noqa: F401
from .config_check import ConfigError, check_config

__all__ = ['ConfigError', 'check_config']
