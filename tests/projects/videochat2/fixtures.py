"""Loading the official VideoChat2 parity fixtures copied into tests/data/videochat2."""
import functools
import json
import os.path as osp

import torch

DATA = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', 'data', 'videochat2'))
IT_CASES = ['vc2_it_f8_s32_q8e4_instr_lora', 'vc2_it_f4_s48_q6e0_noinstr',
            'vc2_eval_f4to16_s32_q8e8_mvbench']
S1_CASE = 'vc2_s1_f4_s32_q4_b4i3_tclamp'
TOL = dict(atol=1e-5, rtol=1e-5)


@functools.cache
def manifest() -> dict:
    with open(osp.join(DATA, 'manifest.json')) as f:
        return json.load(f)


def load(case: str, kind: str) -> dict:
    """``kind``: ``'io'`` or ``'state_dict'``."""
    return torch.load(osp.join(DATA, f'{case}__{kind}.pt'), weights_only=True)


def assert_close(actual: torch.Tensor, expected: torch.Tensor, **tol) -> None:
    torch.testing.assert_close(actual.detach().float(), expected.float(), **(tol or TOL))
