"""Initialising SEINE from Stable Diffusion / LaVie weights, on purpose and completely."""
import json

import pytest
import torch

from mmvideofm.checkpoint import get_converter
from projects.seine import SEINEUNet
from projects.seine.converter import load_seine_checkpoint

SD_CONFIG = dict(sample_size=8, in_channels=4, out_channels=4,
                 down_block_types=['CrossAttnDownBlock2D', 'DownBlock2D'],
                 up_block_types=['UpBlock2D', 'CrossAttnUpBlock2D'], block_out_channels=[16, 32],
                 layers_per_block=1, norm_num_groups=8, cross_attention_dim=24,
                 attention_head_dim=[1, 2])


@pytest.fixture(scope='module')
def sd_unet():
    from diffusers import UNet2DConditionModel
    torch.manual_seed(0)
    return UNet2DConditionModel(**SD_CONFIG).eval()


def test_built_from_sd_config_file(tmp_path, sd_unet):
    (tmp_path / 'unet').mkdir()
    (tmp_path / 'unet' / 'config.json').write_text(json.dumps(dict(sd_unet.config)))
    net = SEINEUNet(config=str(tmp_path / 'unet'), rotary_dim=8)
    assert net.config['in_channels'] == 9 and net.config['block_out_channels'] == [16, 32]
    assert net.config['down_block_types'] == ['CrossAttnDownBlock3D', 'DownBlock3D']
    assert SEINEUNet(config=dict(sd_unet.config), rotary_dim=8).config == net.config
    with pytest.raises(FileNotFoundError, match='config.json'):
        SEINEUNet(config=str(tmp_path / 'missing'))
    with pytest.raises(ValueError, match='rotary_dim=32 exceeds'):
        SEINEUNet(config=str(tmp_path / 'unet'))


def test_sd14_init_carries_every_weight(sd_unet):
    """Ours: every SD weight is loaded, so one frame with the mask channels ignored and the
    temporal branch at its init is SD's UNet. The official 9-channel loader copies only conv_in
    (all other weights stay random): the same check then fails by a wide margin."""
    sd = sd_unet.state_dict()
    ours = SEINEUNet(config=dict(sd_unet.config), rotary_dim=8).eval()
    missing, unexpected = ours.load_state_dict(get_converter('seine/sd14')(sd), strict=False)
    assert not unexpected
    assert missing and all('attn_temp' in k or 'norm_temp' in k for k in missing)
    assert torch.count_nonzero(ours.conv_in.weight[:, 4:]) == 0
    for blk in ours.modules():  # the temporal out-projection weight is zero at init; its bias
        if hasattr(blk, 'attn_temp'):  # (kept as upstream) is zeroed for an exact comparison
            assert torch.count_nonzero(blk.attn_temp.to_out[0].weight) == 0
            torch.nn.init.zeros_(blk.attn_temp.to_out[0].bias)
    x = torch.randn(2, 9, 1, 8, 8)
    text = torch.randn(2, 5, 24)
    t = torch.tensor([10, 700])
    with torch.no_grad():
        ref = sd_unet(x[:, :4, 0], t, text).sample
        out = ours(x, t, text).sample[:, :, 0]
        torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
        official_like = SEINEUNet(config=dict(sd_unet.config), rotary_dim=8).eval()
        official_like.conv_in.weight.data.zero_()
        official_like.conv_in.weight.data[:, :4] = sd['conv_in.weight']
        official_like.conv_in.bias.data = sd['conv_in.bias'].clone()
        wrong = official_like(x, t, text).sample[:, :, 0]
    assert (wrong - ref).abs().max() > 100 * (out - ref).abs().max() + 1e-3


def test_lavie_and_mmap_loading(tmp_path, sd_unet):
    """A LaVie-style 4-channel video UNet: conv_in widened, everything else kept; the
    seine.pt layout ({'ema': ...}) loads memory-mapped and converts strictly."""
    lavie = SEINEUNet(config=dict(sd_unet.config), rotary_dim=8)
    sd = {k: v for k, v in lavie.state_dict().items()}
    sd['conv_in.weight'] = sd['conv_in.weight'][:, :4].clone()
    conv = get_converter('seine/lavie')(sd)
    assert conv['conv_in.weight'].shape[1] == 9
    fresh = SEINEUNet(config=dict(sd_unet.config), rotary_dim=8)
    fresh.load_state_dict(conv, strict=True)
    # seine.pt: {'ema': state_dict} with the per-attention rotary frequency copies
    full = dict(lavie.state_dict())
    for name, _ in lavie.named_modules():
        if name.endswith('attn_temp'):
            full[f'{name}.rotary_emb.freqs'] = lavie.rotary_emb.freqs.clone()
    path = tmp_path / 'seine.pt'
    torch.save({'ema': full}, path)
    loaded = load_seine_checkpoint(path)
    assert len(loaded) == len(full)
    fresh.load_state_dict(get_converter('seine')(loaded), strict=True)
    with pytest.raises(ValueError, match='seine/lavie'):
        get_converter('seine/sd14')(lavie.state_dict())
