import json
import os.path as osp

import pytest
import torch

DATA = osp.join(osp.dirname(__file__), '..', '..', 'data', 'seine')


def load(name: str) -> dict:
    return torch.load(osp.join(DATA, name), map_location='cpu', weights_only=True)


@pytest.fixture(scope='session')
def manifest() -> dict:
    with open(osp.join(DATA, 'manifest.json')) as f:
        return json.load(f)


@pytest.fixture(scope='session')
def official_unet(manifest):
    """The fixture UNet (official constructor arguments) with the converted official weights."""
    from projects.seine import SEINEUNet
    from projects.seine.converter import convert_seine
    net = SEINEUNet(**manifest['seine_unet_s_f16_l4x4']['spec']['ctor']).eval()
    net.load_state_dict(convert_seine({'ema': load('seine_unet_s__state_dict.pt')}), strict=True)
    return net
