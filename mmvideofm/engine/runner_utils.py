"""What ``tools/train.py`` and ``tools/test.py`` share: load, check and adapt a config."""
from __future__ import annotations

import os.path as osp
import warnings

import torch
from mmengine.config import Config, DictAction  # noqa: F401  (DictAction re-exported)

from mmvideofm.engine.config_check import check_config, check_overrides
from mmvideofm.engine.config_overrides import propagate_path_overrides

__all__ = ['register_all', 'load_config', 'add_default_hooks', 'DictAction', 'last_checkpoint',
           'build_runner',
           'fall_back_from_amp', 'verify_checkpoint_keys']


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
    add_default_hooks(cfg)
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


#: Hooks every run gets (``type`` names, scoped so they resolve from any default scope).
DEFAULT_HOOKS = ('mmvideofm.ResumeRandomnessHook',)


def add_default_hooks(cfg: Config) -> None:
    """Append :data:`DEFAULT_HOOKS` to ``custom_hooks`` unless the config has them, and give
    the train sampler per-sample augmentation seeds (``SeededAugmentationSampler``)."""
    loader = cfg.get('train_dataloader')
    sampler = loader.get('sampler') if isinstance(loader, dict) else None
    if isinstance(sampler, dict) and not str(sampler.get('type', '')).endswith(
            'SeededAugmentationSampler'):
        loader.sampler = dict(type='mmvideofm.SeededAugmentationSampler', sampler=sampler)
    hooks = list(cfg.get('custom_hooks') or [])
    present = {str(h.get('type', '')).split('.')[-1] for h in hooks if isinstance(h, dict)}
    for name in DEFAULT_HOOKS:
        if name.split('.')[-1] not in present:
            hooks.append(dict(type=name))
    cfg.custom_hooks = hooks


def build_runner(cfg: Config):
    """The config's runner: ``runner_type`` (e.g. ``'FlexibleRunner'`` for FSDP) or Runner."""
    if 'runner_type' in cfg:
        from mmvideofm.registry import RUNNERS
        return RUNNERS.build(cfg)
    from mmengine.runner import Runner
    return Runner.from_cfg(cfg)


def last_checkpoint(work_dir: str) -> str | None:
    """The checkpoint a work dir's ``last_checkpoint`` names, looked up in ``work_dir``.

    The marker records the path the training run wrote (absolute, or relative to its cwd);
    only the file name is used, so a moved or copied work dir uses its own files (a warning
    says so when the record points elsewhere). None when there is no marker.
    """
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        recorded = f.read().strip()
    local = osp.join(work_dir, osp.basename(recorded))
    if not osp.isfile(local):
        elsewhere = (f'; the recorded file exists at {recorded!r}: pass it explicitly to '
                     f'use it' if osp.isfile(recorded) else '')
        raise FileNotFoundError(f'{marker} names {osp.basename(recorded)!r}, which is not in '
                                f'{work_dir!r}{elsewhere}')
    if not osp.exists(recorded) or not osp.samefile(recorded, local):
        warnings.warn(f'{marker} points elsewhere ({recorded!r}); using {local!r} from the '
                      f'work dir given', stacklevel=2)
    return local


def fall_back_from_amp(cfg: Config, amp: bool = False) -> str | None:
    """Turn on AMP for ``--amp``; without an accelerator, train in fp32 and return the
    one-line warning to log (None when nothing changed).

    mmengine's ``AmpOptimWrapper`` asserts a GPU/NPU/MLU; configs that ask for it (bf16
    recipes) and ``--amp`` then run with a plain ``OptimWrapper`` on CPU.
    """
    from mmengine.device import get_device
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    is_amp = wrapper.split('.')[-1] == 'AmpOptimWrapper'
    if amp and not is_amp:
        if wrapper.split('.')[-1] != 'OptimWrapper':
            raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, got {wrapper!r}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        is_amp = True
    if is_amp and get_device() == 'cpu':
        dtype = cfg.optim_wrapper.get('dtype')
        source = '--amp' if amp else f'optim_wrapper.type=AmpOptimWrapper (dtype={dtype})'
        cfg.optim_wrapper.type = 'OptimWrapper'
        for key in ('loss_scale', 'dtype', 'use_fsdp'):
            cfg.optim_wrapper.pop(key, None)
        return f'{source} needs a GPU; none here, so training runs in fp32 with OptimWrapper'
    return None


def verify_checkpoint_keys(model, checkpoint: str, converter_hint: str | None = None,
                           hint=None) -> None:
    """Fail before evaluation if a checkpoint's keys do not fit the model.

    mmengine loads ``load_from`` with ``strict=False`` and only logs mismatches, so an
    unconverted official file would be evaluated with random weights. This raises
    :class:`StateDictMismatchError` listing missing/unexpected keys and the converter
    whose keys the file matches. Keys the model does not save (``state_dict()`` leaves them
    out, e.g. an algorithm's teacher) are not required. ``hint(state_dict, model)`` words
    the converter advice (default :func:`mmvideofm.checkpoint.pretrained.converter_hint`).
    """
    from mmvideofm.checkpoint import load_checkpoint_file, unwrap_state_dict
    from mmvideofm.checkpoint.convert import StateDictMismatchError, load_state_dict_checked

    model = getattr(model, 'module', model)
    state_dict = unwrap_state_dict(load_checkpoint_file(checkpoint))
    own = model.state_dict()
    optional = tuple(getattr(model, 'optional_state_prefixes', ()))  # e.g. 'teacher.'
    missing = [k for k in own if k not in state_dict and not k.startswith(optional)]
    unexpected = [k for k in state_dict if k not in own]
    # an empty model tensor is a buffer the checkpoint fills (e.g. a memory bank)
    mis_shaped = [k for k in state_dict if k in own and own[k].numel() > 0
                  and own[k].shape != state_dict[k].shape]
    if missing or unexpected or mis_shaped:
        try:  # raises on a mismatch before touching any weight
            load_state_dict_checked(model, state_dict, strict=True, converter_hint=converter_hint)
        except StateDictMismatchError as err:
            if hint is None:
                from mmvideofm.checkpoint.pretrained import converter_hint as hint
            raise StateDictMismatchError(f'{checkpoint}: {err}\n  {hint(state_dict, model)}'
                                         ) from None
