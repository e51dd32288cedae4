from .io import UnsafeCheckpointError, load_checkpoint_file, safe_globals_allowlist, unwrap_state_dict

__all__ = ['UnsafeCheckpointError', 'load_checkpoint_file', 'safe_globals_allowlist',
           'unwrap_state_dict']
