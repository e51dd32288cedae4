"""What ``tools/train.py`` and ``tools/test.py`` share: load, check and adapt a config."""
from __future__ import annotations

import os.path as osp

import torch
from mmengine.config import Config, DictAction  # noqa: F401  (DictAction re-exported)

from mmvideofm.engine.config_check import check_config, check_overrides
from mmvideofm.engine.config_overrides import propagate_path_overrides

__all__ = ['register_all', 'load_config', 'DictAction']


def register_all() -> None:
    """Import every mmaction2 / mmvideofm module so all registries are filled."""
    from mmaction.utils import register_all_modules

    import mmvideofm  # noqa: F401  (compat shims)

    register_all_modules(init_default_scope=False)
    import mmvideofm.datasets  # noqa: F401
    import mmvideofm.engine  # noqa: F401
    import mmvideofm.evaluation  # noqa: F401
    import mmvideofm.models  # noqa: F401


def load_config(path: str, cfg_options: dict | None = None, work_dir: str | None = None,
                launcher: str = 'none') -> Config:
    """Read a config, merge overrides, pick a work dir, validate names, adapt to CPU."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path!r}')
    register_all()
    cfg = Config.fromfile(path)
    if cfg_options:
        check_overrides(cfg, cfg_options)
        moved = propagate_path_overrides(cfg, cfg_options)  # data_root=... reaches ann_file
        if moved:
            print('--cfg-options: paths the config built from the overridden variables: '
                  + ', '.join(f'{k}={v}' for k, v in moved.items()))
        cfg.merge_from_dict(cfg_options)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(path))[0])
    check_config(cfg)
    if not torch.cuda.is_available():
        # NCCL needs CUDA; gloo runs the same DDP on CPU.
        env = cfg.setdefault('env_cfg', {})
        dist_cfg = env.setdefault('dist_cfg', {})
        if dist_cfg.get('backend', 'nccl') == 'nccl':
            dist_cfg['backend'] = 'gloo'
        if launcher != 'none' and cfg.get('model_wrapper_cfg') is None:
            cfg.model_wrapper_cfg = dict(type='CPUDistributedDataParallel',
                                         broadcast_buffers=False,
                                         find_unused_parameters=cfg.get(
                                             'find_unused_parameters', False))
    return cfg


def verify_checkpoint_keys(model, checkpoint: str, converter_hint: str | None = None) -> None:
    """Fail before evaluation if a checkpoint's keys do not fit the model.

    mmengine loads ``load_from`` with ``strict=False`` and only logs mismatches, so an
    unconverted official file would be evaluated with random weights. This raises
    :class:`StateDictMismatchError` listing missing/unexpected keys and the converter.
    """
    from mmvideofm.checkpoint import load_checkpoint_file, unwrap_state_dict
    from mmvideofm.checkpoint.convert import StateDictMismatchError, load_state_dict_checked

    model = getattr(model, 'module', model)
    state_dict = unwrap_state_dict(load_checkpoint_file(checkpoint))
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    # an empty model tensor is a buffer the checkpoint fills (e.g. a memory bank)
    mis_shaped = [k for k in state_dict if k in own and own[k].numel() > 0
                  and own[k].shape != state_dict[k].shape]
    if missing or unexpected or mis_shaped:
        try:  # raises on a mismatch before touching any weight
            load_state_dict_checked(model, state_dict, strict=True, converter_hint=converter_hint)
        except StateDictMismatchError as err:
            raise StateDictMismatchError(f'{checkpoint}: {err}') from None
