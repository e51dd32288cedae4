from .clip import NotCLIPCheckpointError, clip_sizes, convert_clip, load_clip_checkpoint
from .convert import (
                      CONVERTERS,
                      StateDictMismatchError,
                      get_converter,
                      load_state_dict_checked,
                      register_converter,
                      rename_keys,
)
from .io import (
                      UnsafeCheckpointError,
                      load_checkpoint_file,
                      safe_globals_allowlist,
                      unwrap_state_dict,
)
from .pretrained import ConvertedPretrainedInit, load_converted_weights

__all__ = ['NotCLIPCheckpointError', 'clip_sizes', 'convert_clip', 'load_clip_checkpoint',
           'ConvertedPretrainedInit', 'load_converted_weights', 'CONVERTERS', 'StateDictMismatchError', 'UnsafeCheckpointError', 'get_converter',
           'load_checkpoint_file', 'load_state_dict_checked', 'register_converter',
           'rename_keys', 'safe_globals_allowlist', 'unwrap_state_dict']
