"""Engine hooks shared by every plugin."""
from __future__ import annotations

import json
import logging
import os
import random

import numpy as np
import torch
from mmengine.hooks import Hook

from mmvideofm.registry import DATA_SAMPLERS, HOOKS


@HOOKS.register_module()
class TrainingCurveHook(Hook):
    """Write ``training_curve.png`` (train loss, validation metrics) and a JSON twin.

    Runs on rank 0 only; headless (matplotlib Agg). Updated after every
    validation and at the end of training, so an interrupted run keeps its curve.
    """

    priority = 'VERY_LOW'

    def __init__(self, filename: str = 'training_curve.png') -> None:
        self.filename = filename
        self.train: list[tuple[int, float]] = []
        self.val: dict[str, list[tuple[int, float]]] = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if outputs and 'loss' in outputs:
            self.train.append((runner.iter + 1, float(outputs['loss'].detach())))

    def after_val_epoch(self, runner, metrics=None) -> None:
        for key, value in (metrics or {}).items():
            if isinstance(value, (int, float)):
                self.val.setdefault(key, []).append((runner.iter, float(value)))
        self._save(runner)

    def after_train(self, runner) -> None:
        self._save(runner)

    def _save(self, runner) -> None:
        from mmengine.dist import is_main_process
        if not is_main_process() or not self.train:
            return
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(1, 2 if self.val else 1, figsize=(10 if self.val else 5, 3.5))
        axes = list(ax) if self.val else [ax]
        steps, losses = zip(*self.train)
        axes[0].plot(steps, losses, lw=0.8)
        axes[0].set(xlabel='iteration', ylabel='train loss', title='loss')
        if self.val:
            for key, points in self.val.items():
                x, y = zip(*points)
                axes[1].plot(x, y, marker='o', label=key)
            axes[1].set(xlabel='iteration', title='validation')
            axes[1].legend(fontsize=7)
        fig.tight_layout()
        path = os.path.join(runner.work_dir, self.filename)
        fig.savefig(path, dpi=100)
        plt.close(fig)
        with open(os.path.splitext(path)[0] + '.json', 'w') as f:
            json.dump({'train_loss': self.train, 'val': self.val}, f)


# ---------------------------------------------------------------------------- exact resume
def _capture_rng(model) -> dict:
    """Every RNG state a training step draws from: python, numpy, torch CPU/CUDA and the
    generators of modules with ``get_rng_state`` (the algorithms' mask generators)."""
    keys, pos, has_gauss, gauss = np.random.get_state()[1:]
    generators = {name: module.get_rng_state() for name, module in _rng_modules(model)}
    return dict(
        python=random.getstate(),
        numpy=(torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(gauss)),
        torch=torch.get_rng_state(),
        cuda=torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None,
        generators=generators)


def _restore_rng(model, state: dict) -> None:
    version, internal, gauss_next = state['python']
    random.setstate((version, tuple(internal), gauss_next))
    keys, pos, has_gauss, gauss = state['numpy']
    np.random.set_state(('MT19937', keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state['torch'])
    if state.get('cuda') is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])
    modules = dict(_rng_modules(model))
    for name, gen_state in state.get('generators', {}).items():
        if name in modules:  # applied on the device of the next draw (BaseVideoAlgorithm)
            modules[name].set_rng_state(gen_state)


def _rng_modules(model):
    model = getattr(model, 'module', model)
    return [(name, m) for name, m in model.named_modules()
            if callable(getattr(m, 'get_rng_state', None))
            and callable(getattr(m, 'set_rng_state', None))]


class _ResumedSampler:
    """Wraps the train sampler for the first epoch after a resume.

    Yields the original indices, minus the first ``drop`` (an epoch-based loop resumed
    mid-epoch: batches already trained) or after passing ``keep`` through (an iteration-based
    loop, which mmengine fast-forwards by fetching them), then restores the RNG states just
    before the first index of the untrained part: after the dataloader iterator has drawn
    its base seed, as in the uninterrupted run.
    """

    def __init__(self, sampler, drop: int, keep: int, restore) -> None:
        self.sampler, self.drop, self.keep, self.restore = sampler, drop, keep, restore

    def __iter__(self):
        it = iter(self.sampler)
        for _ in range(self.drop):
            next(it, None)
        for _ in range(self.keep):
            yield next(it)
        if self.restore is not None:
            self.restore()
            self.restore = None
        yield from it

    def __len__(self) -> int:
        return len(self.sampler) - self.drop

    def __getattr__(self, name):
        if name == 'sampler':
            raise AttributeError(name)
        return getattr(self.sampler, name)


@HOOKS.register_module()
class ResumeRandomnessHook(Hook):
    """Make ``--resume`` exact: RNG states in every checkpoint, restored on resume, and the
    sampler position restored when a run is resumed mid-epoch.

    Saved under ``checkpoint['rng_state']`` (one entry per rank): python, numpy, torch CPU
    and CUDA states and the algorithms' generators (``get_rng_state``). Validation runs
    with the RNG states forked, so it does not shift the training draws (the run is the same
    with or without ``--no-validate`` and after a resume, which skips the epoch's validation).
    Augmentations in dataloader workers draw from per-sample seeds
    (:class:`SeededAugmentationSampler`, which tools/train.py puts around every train
    sampler); without it a resume with ``num_workers > 0`` is exact only at epoch boundaries
    without ``persistent_workers`` (a warning says so). tools/train.py adds this hook too.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self) -> None:
        self._ranks: list | None = None   # states gathered from all ranks (DDP)
        self._val_state: dict | None = None
        self._pending: dict | None = None  # state to restore after a resume
        self._skip = 0
        self._wrapped = None

    # ------------------------------------------------------------------ saving
    def _gather(self, runner) -> None:
        from mmengine.dist import all_gather_object, get_world_size
        if get_world_size() > 1:
            self._ranks = all_gather_object(self._val_state or _capture_rng(runner.model))

    def _checkpoint_due(self, runner, by_epoch: bool) -> bool:
        from mmengine.hooks import CheckpointHook
        for hook in runner.hooks:
            if not isinstance(hook, CheckpointHook) or hook.by_epoch != by_epoch:
                continue
            if by_epoch:
                return True  # once an epoch: cheap enough to gather unconditionally
            if hook.every_n_train_iters(runner, hook.interval, hook.save_begin) or (
                    hook.save_last and hook.is_last_train_iter(runner)):
                return True
        return False

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self._checkpoint_due(runner, by_epoch=False):
            self._gather(runner)

    def after_train_epoch(self, runner) -> None:
        if self._wrapped is not None:  # the first epoch after a resume is over
            runner.train_loop.dataloader.batch_sampler.sampler = self._wrapped
            self._wrapped = None
        if self._checkpoint_due(runner, by_epoch=True):
            self._gather(runner)

    def before_val(self, runner) -> None:
        self._val_state = _capture_rng(runner.model)

    def after_val(self, runner) -> None:
        if self._val_state is not None:
            _restore_rng(runner.model, self._val_state)
            self._val_state = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        from mmengine.dist import get_world_size
        ranks = self._ranks if get_world_size() > 1 and self._ranks else [
            self._val_state or _capture_rng(runner.model)]
        checkpoint['rng_state'] = dict(ranks=ranks)

    # ------------------------------------------------------------------ resuming
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        from mmengine.dist import get_rank
        from mmengine.logging import print_log
        saved = checkpoint.get('rng_state')
        if not runner._resume or getattr(runner, '_train_loop', None) is None:
            return
        if saved is None:
            print_log('the resumed checkpoint has no RNG states (written before '
                      'ResumeRandomnessHook): the run continues with fresh random draws',
                      logger='current', level=logging.WARNING)
        else:
            ranks = saved['ranks']
            if len(ranks) not in (1, max(get_rank() + 1, len(ranks))):
                print_log(f'the checkpoint holds RNG states of {len(ranks)} ranks; this run '
                          f'has more, rank {get_rank()} takes rank 0\'s', logger='current',
                          level=logging.WARNING)
            self._pending = ranks[get_rank()] if get_rank() < len(ranks) else ranks[0]
        from mmengine.runner import EpochBasedTrainLoop
        loop, meta = runner.train_loop, checkpoint['meta']
        if isinstance(loop, EpochBasedTrainLoop):
            per_epoch = len(loop.dataloader)
            self._skip = meta['iter'] - meta['epoch'] * per_epoch
            if not 0 <= self._skip <= per_epoch:
                print_log(f'checkpoint meta (epoch {meta["epoch"]}, iter {meta["iter"]}) does '
                          f'not fit {per_epoch} iterations per epoch: the epoch restarts',
                          logger='current', level=logging.WARNING)
                self._skip = 0

    def before_train_epoch(self, runner) -> None:
        from mmengine.logging import print_log
        from mmengine.runner import EpochBasedTrainLoop
        if self._pending is None and not self._skip:
            return
        state, self._pending = self._pending, None
        restore = None if state is None else (lambda: _restore_rng(runner.model, state))
        loop = runner.train_loop
        epoch_based = isinstance(loop, EpochBasedTrainLoop)
        skip, self._skip = self._skip, 0
        loader = loop.dataloader
        seeded = isinstance(getattr(loader, 'sampler', None), SeededAugmentationSampler)
        if getattr(loader, 'persistent_workers', False) and not seeded:
            print_log('resuming with persistent_workers: the workers\' augmentation '
                      'randomness restarts, so the run is not bit-identical to an '
                      'uninterrupted one', logger='current', level=logging.WARNING)
        persistent = loader.num_workers > 0 and getattr(loader, 'persistent_workers', False)
        if epoch_based and not skip and not persistent:
            # an epoch boundary: restore before the iterator draws its base seed, as the
            # uninterrupted run does at every epoch (persistent workers draw it only once,
            # so then the states are restored after it, at the first index like mid-epoch)
            if restore is not None:
                restore()
            return
        batch_sampler = getattr(loader, 'batch_sampler', None)
        if batch_sampler is None or not hasattr(batch_sampler, 'sampler'):
            print_log('cannot position the train dataloader (no batch_sampler.sampler): the '
                      'resumed epoch restarts', logger='current', level=logging.WARNING)
            if restore is not None:
                restore()
            return
        batch = batch_sampler.batch_size
        n = skip * batch if epoch_based else runner.iter * batch
        if epoch_based and loader.num_workers > 0 and not seeded:
            print_log(f'resuming mid-epoch with num_workers={loader.num_workers}: the workers '
                      f're-seed their augmentation randomness, so the rest of this epoch is '
                      f'not bit-identical to an uninterrupted run (num_workers=0 is)',
                      logger='current', level=logging.WARNING)
        self._wrapped = batch_sampler.sampler
        batch_sampler.sampler = _ResumedSampler(self._wrapped, drop=n if epoch_based else 0,
                                                keep=0 if epoch_based else n, restore=restore)
        if epoch_based and skip:
            print_log(f'resuming mid-epoch: skipping the {skip} batches of epoch '
                      f'{runner.epoch + 1} already trained', logger='current')
        else:
            self._wrapped = None  # an iteration loop runs one long epoch: keep the wrapper


# ------------------------------------------------------ per-sample augmentation randomness
class _SeededIndex(int):
    """A dataset index that carries the seed of its sample's augmentation randomness."""

    def __new__(cls, value: int, seed: int) -> _SeededIndex:
        obj = super().__new__(cls, value)
        obj.seed = seed
        return obj

    def __reduce__(self):
        return _SeededIndex, (int(self), self.seed)


class _SeededPipeline:
    """Runs a dataset's pipeline with python / numpy / torch-CPU RNGs seeded by the sample's
    :class:`_SeededIndex` (``results['sample_idx']``), restoring them afterwards."""

    def __init__(self, pipeline) -> None:
        self.pipeline = pipeline

    def __call__(self, results):
        seed = getattr(results.get('sample_idx') if isinstance(results, dict) else None,
                       'seed', None)
        if seed is None:
            return self.pipeline(results)
        states = random.getstate(), np.random.get_state(), torch.get_rng_state()
        random.seed(seed)
        np.random.seed(seed)
        torch.default_generator.manual_seed(seed)
        try:
            return self.pipeline(results)
        finally:
            random.setstate(states[0])
            np.random.set_state(states[1])
            torch.set_rng_state(states[2])

    def __getattr__(self, name: str):
        if name == 'pipeline':  # during unpickling
            raise AttributeError(name)
        return getattr(self.pipeline, name)


@DATA_SAMPLERS.register_module()
class SeededAugmentationSampler:
    """Wraps a train sampler so each sample's augmentations draw from a seed of its own.

    The seed mixes the run's seed, the rank, the epoch and the position in the epoch, so
    augmentation randomness no longer depends on which dataloader worker handles a sample
    or on what that worker drew before: a resumed run (also mid-epoch, also with
    ``num_workers > 0`` and ``persistent_workers``) gets the uninterrupted run's crops.
    tools/train.py wraps every config's ``train_dataloader.sampler`` in it.

    Args:
        sampler: Config of the wrapped sampler (built like mmengine builds samplers).
        dataset: The dataset (its ``pipeline`` is wrapped; given by the runner).
        seed: The run's seed (given by the runner; ``None``: a synced random seed).
    """

    def __init__(self, sampler: dict, dataset, seed: int | None = None) -> None:
        from mmengine.dist import sync_random_seed
        self.sampler = DATA_SAMPLERS.build(sampler, default_args=dict(dataset=dataset,
                                                                      seed=seed))
        self.seed = sync_random_seed() if seed is None else int(seed)
        if callable(getattr(dataset, 'pipeline', None)) and not isinstance(
                dataset.pipeline, _SeededPipeline):
            dataset.pipeline = _SeededPipeline(dataset.pipeline)

    def __iter__(self):
        from mmengine.dist import get_rank
        key = tuple(int(k) for k in np.random.SeedSequence(
            [self.seed, get_rank(), getattr(self.sampler, 'epoch', 0)]).generate_state(2))
        for pos, idx in enumerate(self.sampler):  # hash() of ints is not salted
            yield _SeededIndex(idx, hash((*key, pos)) & 0xFFFFFFFF)

    def __len__(self) -> int:
        return len(self.sampler)

    def set_epoch(self, epoch: int) -> None:
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)

    def __getattr__(self, name: str):
        if name == 'sampler':
            raise AttributeError(name)
        return getattr(self.sampler, name)
