"""ResumeRandomnessHook: every RNG state round-trips through a (safely loaded) checkpoint."""
import random

import numpy as np
import torch

from mmvideofm.checkpoint import load_checkpoint_file
from mmvideofm.engine.hooks import ResumeRandomnessHook, _restore_rng, _ResumedSampler
from mmvideofm.models.algorithms.base import BaseVideoAlgorithm


class _Masker(BaseVideoAlgorithm):
    def __init__(self):
        super().__init__(seed=3)
        self.fc = torch.nn.Linear(2, 2)

    def loss(self, inputs, data_samples=None):
        return {'loss': self.fc(inputs).sum()}

    def extract_feat(self, inputs):
        return self.fc(inputs)


def _draws(model):
    return (random.random(), float(np.random.rand()), float(torch.rand(())),
            float(torch.rand((), generator=model.generator('cpu'))))


class _Runner:
    def __init__(self, model):
        self.model = model


def test_states_round_trip_through_a_safe_checkpoint(tmp_path):
    model = _Masker()
    _draws(model)  # the generator exists and has advanced
    ckpt = {'meta': {}}
    ResumeRandomnessHook().before_save_checkpoint(_Runner(model), ckpt)
    torch.save(ckpt, tmp_path / 'c.pth')
    expected = _draws(model)

    fresh = _Masker()
    _draws(fresh)
    _draws(fresh)  # anywhere else in its sequences
    loaded = load_checkpoint_file(tmp_path / 'c.pth')  # weights_only + allowlist
    _restore_rng(fresh, loaded['rng_state']['ranks'][0])
    assert _draws(fresh) == expected


def test_validation_does_not_shift_the_training_draws():
    model = _Masker()
    hook, runner = ResumeRandomnessHook(), _Runner(model)
    state = random.getstate(), torch.get_rng_state()
    hook.before_val(runner)
    torch.rand(5), random.random(), np.random.rand()  # what validation may draw
    hook.after_val(runner)
    assert random.getstate() == state[0] and torch.equal(torch.get_rng_state(), state[1])


def test_resumed_sampler_skips_then_restores_once():
    calls = []
    sampler = _ResumedSampler(list(range(10)), drop=4, keep=0, restore=lambda: calls.append(1))
    assert len(sampler) == 6 and list(sampler) == [4, 5, 6, 7, 8, 9] and calls == [1]
    assert list(sampler) == [4, 5, 6, 7, 8, 9] and calls == [1]
    passed = _ResumedSampler(list(range(5)), drop=0, keep=2, restore=lambda: calls.append(2))
    it = iter(passed)
    assert [next(it), next(it)] == [0, 1] and calls == [1]
    assert next(it) == 2 and calls == [1, 2]
