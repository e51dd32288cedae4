"""Parity with every golden case of shared/parity/seine (official code at bd8d519), fp32 CPU."""
import pytest
import torch

from projects.seine import SEINEScheduler, latent_mask, mask_generation_before, space_timesteps
from projects.seine.converter import convert_seine
from projects.seine.models import RotaryEmbedding, TemporalAttention

from .conftest import load

TOL = dict(atol=1e-5, rtol=1e-5)


def assert_cfg_close(mine, ref):
    """Guided eps: CFG multiplies the UNet's float noise (2e-6 here, max |eps| ~2) by
    1 + 2s = 17 at s = 8, so it is compared at 1e-5 of max |ref| (README: parity)."""
    assert (mine - ref).abs().max() <= 1e-5 * ref.abs().max(), (mine - ref).abs().max()


@pytest.mark.parametrize('case', ['seine_unet_s_f16_l4x4', 'seine_unet_s_f3_l5x7'])
def test_unet_and_cfg(case, official_unet, manifest):
    io = load(f'{case}__io.pt')
    hooks = {}
    blk = official_unet.down_blocks[0].attentions[0].transformer_blocks[0]

    def record(module, args, output):
        if 'in' not in hooks:  # the first (plain) forward
            hooks.update({'in': args[0], 'out': output})

    handle = blk.attn_temp.register_forward_hook(record)
    with torch.no_grad():
        out = official_unet(io['sample'], io['timestep'], io['encoder_hidden_states']).sample
        cfg = official_unet.forward_with_cfg(io['sample'], io['timestep'],
                                             io['encoder_hidden_states'],
                                             manifest[case]['spec']['cfg_scale'])
        bias = blk.attn_temp.time_rel_pos_bias(io['sample'].shape[2])
    handle.remove()
    torch.testing.assert_close(hooks['in'], io['down0_attn_temp_in'], **TOL)
    torch.testing.assert_close(hooks['out'], io['down0_attn_temp_out'], **TOL)
    torch.testing.assert_close(bias, io['down0_rel_pos_bias'], **TOL)
    torch.testing.assert_close(out, io['out'], **TOL)
    assert_cfg_close(cfg, io['out_cfg'])


def test_temporal_attention():
    io, sd = load('seine_tattn_h2_d40__io.pt'), load('seine_tattn_h2_d40__state_dict.pt')
    attn = TemporalAttention(80, heads=2, dim_head=40, rotary_emb=RotaryEmbedding(32))
    torch.testing.assert_close(attn.rotary_emb.freqs, sd.pop('rotary_emb.freqs'))
    attn.load_state_dict(sd, strict=True)
    with torch.no_grad():
        torch.testing.assert_close(attn(io['hidden_states']), io['out'], **TOL)
        torch.testing.assert_close(attn.time_rel_pos_bias(16), io['rel_pos_bias'], **TOL)
    from projects.seine.models.temporal_attention import relative_position_bucket
    for n in (16, 40):
        pos = torch.arange(n)
        assert torch.equal(relative_position_bucket(pos[None] - pos[:, None]),
                           io[f'rp_bucket_n{n}'])
    torch.testing.assert_close(attn.rotary_emb.angles(16, 'cpu'), io['rotary_freqs_table'])


def test_masks():
    ref = load('seine_masks.pt')
    cases = [('first1_f16', 'first1', (1, 16, 3, 8, 16), torch.float32, (1, 2)),
             ('first2_f8_b2', 'first2', (2, 8, 3, 8, 8), torch.float32, (1, 1)),
             ('onelast1_f16', 'onelast1', (1, 16, 3, 16, 8), torch.float32, (2, 1)),
             ('all_f4', 'all', (1, 4, 3, 8, 8), torch.float32, None),
             ('first1_f16_fp16', 'first1', (1, 16, 1, 2, 2), torch.float16, None)]
    for name, kind, shape, dtype, lhw in cases:
        mask = mask_generation_before(kind, shape, dtype)
        assert mask.dtype == dtype and torch.equal(mask, ref[f'{name}.mask']), name
        if lhw:
            assert torch.equal(latent_mask(mask, lhw), ref[f'{name}.latent_mask']), name
    with pytest.raises(ValueError, match='Invalid mask type'):
        mask_generation_before('last1', (1, 4, 3, 8, 8))


def test_schedule_and_respacing():
    ref = load('seine_schedule.pt')
    sched = SEINEScheduler()
    for prefix, steps in (('r250', 250), ('rnone', None)):
        sched.set_timesteps(steps)
        assert torch.equal(sched.timestep_map, ref[f'{prefix}.timestep_map'])
        for key in [k.split('.', 1)[1] for k in ref if k.startswith(prefix + '.')]:
            if key == 'timestep_map':
                continue
            mine = torch.from_numpy(getattr(sched.tables, key))
            torch.testing.assert_close(mine, ref[f'{prefix}.{key}'], rtol=1e-12, atol=0)
    for key, spec in (('n1000_250', '250'), ('n1000_ddim50', 'ddim50'),
                      ('n1000_10_15_20', '10,15,20')):
        assert space_timesteps(1000, spec) == ref[f'space_timesteps.{key}'].tolist()


@pytest.mark.parametrize('case,steps,cfg_scale', [('seine_ddpm_r250_first1_2steps', 250, 8.0),
                                                  ('seine_ddpm_r3_onelast1_full', 3, 4.0)])
def test_sampling_steps(case, steps, cfg_scale, official_unet):
    """Each step in isolation (UNet + CFG, then the scheduler) at 1e-5, the chain at 1e-4."""
    io = load(f'{case}__io.pt')
    sched = SEINEScheduler()
    sched.set_timesteps(steps)
    text = io['encoder_hidden_states']
    x = io['z']
    k = 0
    while f'step{k}.x_in' in io:
        p = f'step{k}.'
        t = io[p + 't_model']
        assert t[0] == sched.timesteps[k]
        with torch.no_grad():
            eps = official_unet.forward_with_cfg(io[p + 'x_in'], t, text, cfg_scale)
        assert_cfg_close(eps, io[p + 'eps_cfg'])
        out = sched.step(io[p + 'eps_cfg'], t, io[p + 'x_in'][:, :4], noise=io[p + 'noise'])
        for mine, key in ((out.mean, 'mean'), (out.variance, 'variance'),
                          (out.log_variance, 'log_variance'),
                          (out.pred_original_sample, 'pred_xstart'), (out.prev_sample, 'sample')):
            torch.testing.assert_close(mine, io[p + key], **TOL)
        with torch.no_grad():  # the chained run from x_T
            x_in = torch.cat([x, io['mask'], io['masked_latent']], dim=1)
            eps = official_unet.forward_with_cfg(x_in, t, text, cfg_scale)
        x = sched.step(eps, t, x, noise=io[p + 'noise']).prev_sample
        k += 1
    ref = io['final_sample']
    assert (x - ref).abs().max() <= 1e-4 * ref.abs().max()


def test_diffusers_ddpm_matches_the_official_step():
    """diffusers' DDPMScheduler with the official settings and the respaced timesteps as
    custom timesteps gives the official pred_x0 and x_{t-1} (same noise) at 1e-5."""
    from diffusers import DDPMScheduler
    io = load('seine_ddpm_r250_first1_2steps__io.pt')
    ours = SEINEScheduler()
    ours.set_timesteps(250)
    ddpm = DDPMScheduler(num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02,
                         beta_schedule='linear', variance_type='fixed_large', clip_sample=False)
    ddpm.set_timesteps(timesteps=ours.timesteps.tolist())
    for k in range(2):
        p = f'step{k}.'
        t, x = int(io[p + 't_model'][0]), io[p + 'x_in'][:, :4]
        out = ddpm.step(io[p + 'eps_cfg'], t, x, generator=torch.Generator().manual_seed(k))
        noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(k))
        torch.testing.assert_close(out.pred_original_sample, io[p + 'pred_xstart'], **TOL)
        expected = io[p + 'mean'] + torch.exp(0.5 * io[p + 'log_variance']) * noise
        torch.testing.assert_close(out.prev_sample, expected, **TOL)


def test_training_loss(official_unet):
    """ADM training_losses(use_mask=True): noise on the 4 latent channels only, eps MSE."""
    io = load('seine_loss_r1000__io.pt')
    sched = SEINEScheduler()
    x0, noise, t = io['x_start'], io['noise'], io['t']
    x_t = sched.add_noise(x0, noise, t)
    x_in = torch.cat([x_t[:, :4], x0[:, 4:]], dim=1)
    torch.testing.assert_close(x_in, io['x_t_model_input'], **TOL)
    official_unet.train()
    try:
        with torch.no_grad():
            out = official_unet(x_in, t, io['encoder_hidden_states'][:, None]).sample
    finally:
        official_unet.eval()
    torch.testing.assert_close(out, io['model_output_train_mode'], **TOL)
    loss = ((noise[:, :4] - out) ** 2).mean(dim=(1, 2, 3, 4))
    torch.testing.assert_close(loss, io['loss'], **TOL)


def test_converter_refuses_other_files():
    sd = load('seine_unet_s__state_dict.pt')
    bad = dict(sd)
    key = next(k for k in sd if k.endswith('rotary_emb.freqs'))
    bad[key] = bad[key] * 2
    with pytest.raises(ValueError, match='RoPE'):
        convert_seine(bad)
    with pytest.raises(ValueError, match='seine/sd14'):
        convert_seine({k: v for k, v in sd.items() if 'attn_temp' not in k})
