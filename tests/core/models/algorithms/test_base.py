"""BaseVideoAlgorithm: forward(mode) dispatch, seeded generator, teacher slot, state dicts."""
import pytest
import torch
from torch import nn

from mmvideofm.checkpoint import load_state_dict_checked
from mmvideofm.constants import IMAGENET_PREPROCESSOR
from mmvideofm.models.algorithms import BaseVideoAlgorithm


class Teacher(nn.Module):
    """A teacher with dropout and a norm, so eval vs train mode shows in its output."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.fc(x))


class Algo(BaseVideoAlgorithm):
    default_data_preprocessor = IMAGENET_PREPROCESSOR

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.student = nn.Linear(4, 4)

    def loss(self, inputs, data_samples=None):
        noise = torch.rand(inputs.shape, generator=self.generator(inputs.device))
        with torch.no_grad():
            target = self.teacher(inputs)
        return dict(loss_fit=(self.student(inputs + noise) - target).pow(2).mean())

    def extract_feat(self, inputs):
        return self.student(inputs)


def test_forward_dispatches_each_mode_and_names_the_valid_ones():
    model = Algo(teacher=Teacher())
    x = torch.randn(2, 4)
    assert set(model(x, mode='loss')) == {'loss_fit'}
    torch.testing.assert_close(model(x, mode='tensor'), model.student(x))
    torch.testing.assert_close(model(x), model.student(x))  # 'tensor' is the default
    with pytest.raises(RuntimeError, match='Algo has no predict mode'):
        model(x, mode='predict')
    with pytest.raises(RuntimeError, match="invalid mode 'feat' for Algo: use one of 'loss', "
                                           "'predict', 'tensor'"):
        model(x, mode='feat')


def test_default_data_preprocessor_is_built_through_the_registry():
    model = Algo()
    assert type(model.data_preprocessor).__name__ == 'ActionDataPreprocessor'
    torch.testing.assert_close(model.data_preprocessor.mean.flatten(),
                               torch.tensor(IMAGENET_PREPROCESSOR['mean']))
    own = Algo(data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW'))
    assert not own.data_preprocessor._enable_normalize  # the config's wins


def test_generator_seed_plus_rank_restart_and_runner_seed():
    a, b = Algo(seed=3), Algo(seed=3)
    draws = torch.rand(5, generator=a.generator())
    torch.testing.assert_close(torch.rand(5, generator=b.generator()), draws)  # a restart
    assert not torch.equal(torch.rand(5, generator=a.generator()), draws)  # the stream goes on
    torch.testing.assert_close(draws, torch.rand(5, generator=torch.Generator().manual_seed(3)))
    # seed=None: the runner's seed (torch.initial_seed()) at the first draw
    torch.manual_seed(11)
    c = Algo()
    torch.testing.assert_close(torch.rand(5, generator=c.generator('cpu')),
                               torch.rand(5, generator=torch.Generator().manual_seed(11)))
    # the former name still works (configs, tests of the UMT / VideoMAE V2 plugins)
    d = Algo(seed=0)
    d.mask_seed = 3
    assert d.seed == 3 and torch.equal(torch.rand(5, generator=d.generator()), draws)


def test_rng_state_round_trip_gives_the_same_next_draws():
    a = Algo(seed=5)
    torch.rand(7, generator=a.generator())
    state = a.get_rng_state()
    expected = torch.rand(4, generator=a.generator())
    b = Algo(seed=999)
    assert b.get_rng_state() is None  # nothing drawn yet
    b.set_rng_state(state)  # deferred: applied on the device of the next draw
    assert torch.equal(b.get_rng_state(), state)
    torch.testing.assert_close(torch.rand(4, generator=b.generator()), expected)
    c = Algo(seed=999)
    c.set_rng_state(state, device='cpu')
    torch.testing.assert_close(torch.rand(4, generator=c.generator()), expected)


def test_teacher_frozen_in_eval_through_train_and_without_gradient():
    model = Algo(teacher=dict(type='CLIPVisual', arch=None, input_resolution=16, patch_size=8,
                              width=16, layers=1, heads=2, output_dim=8, return_layers=1,
                              frozen=False))
    assert not any(p.requires_grad for p in model.teacher.parameters())
    model.train()
    assert model.training and model.student.training
    assert not any(m.training for m in model.teacher.modules())
    model.init_weights()  # a teacher's init_cfg must not unfreeze it
    assert not any(p.requires_grad for p in model.teacher.parameters())
    model = Algo(teacher=Teacher()).train()
    model.loss(torch.randn(3, 4))['loss_fit'].backward()
    assert model.student.weight.grad is not None
    assert all(p.grad is None for p in model.teacher.parameters())


def test_state_dict_leaves_the_teacher_out_unless_asked_and_loads_either_way():
    model = Algo(teacher=Teacher())
    saved = model.state_dict()
    assert set(saved) == {'student.weight', 'student.bias'}
    assert model.optional_state_prefixes == ('teacher.', )
    with_teacher = Algo(teacher=Teacher(), save_teacher=True).state_dict()
    assert {'teacher.fc.weight', 'teacher.fc.bias'} <= set(with_teacher)
    # a checkpoint without the teacher loads strictly, with torch and with the checked loader
    fresh = Algo(teacher=Teacher())
    teacher_before = fresh.teacher.fc.weight.clone()
    assert fresh.load_state_dict(saved, strict=True).missing_keys == []
    load_state_dict_checked(fresh, saved, strict=True)
    assert torch.equal(fresh.teacher.fc.weight, teacher_before)  # kept its own weights
    # one with the teacher loads it (e.g. an official pretraining file with its teacher)
    load_state_dict_checked(fresh, with_teacher, strict=True)
    torch.testing.assert_close(fresh.teacher.fc.weight, with_teacher['teacher.fc.weight'])
    # a missing student key is still an error
    with pytest.raises(RuntimeError, match='student.bias'):
        fresh.load_state_dict({'student.weight': saved['student.weight']}, strict=True)
    # nested (e.g. under an EMA wrapper's `module.`): the prefix is honoured both ways
    wrapper = nn.ModuleDict(dict(module=Algo(teacher=Teacher())))
    assert set(wrapper.state_dict()) == {'module.student.weight', 'module.student.bias'}
    assert wrapper.load_state_dict(wrapper.state_dict(), strict=True).missing_keys == []
