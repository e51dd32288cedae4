"""Random-mask training pieces: the mask mix, the loss (noise on latent channels only, eps or
x0 target), text dropout, DDIM and the scheduler's input checks."""
import pytest
import torch

from projects.seine import SEINE, RandomMaskSampler, SEINEScheduler
from projects.seine.masks import frame_mask, parse_mask_type

UNET = dict(type='SEINEUNet', in_channels=7, out_channels=3,
            down_block_types=['CrossAttnDownBlock3D', 'DownBlock3D'],
            up_block_types=['UpBlock3D', 'CrossAttnUpBlock3D'], block_out_channels=[16, 32],
            layers_per_block=1, norm_num_groups=8, cross_attention_dim=16,
            attention_head_dim=[1, 2], rotary_dim=8)


def test_mask_names_and_mix():
    assert parse_mask_type('onelast2') == ('onelast', 2) and parse_mask_type('all') == ('all', 0)
    for bad in ('first', 'last1', 'onelast', 'first1x'):
        with pytest.raises(ValueError, match='Invalid mask type'):
            parse_mask_type(bad)
    assert frame_mask('onelast2', 4).tolist() == [0, 0, 0, 0]  # f = 2N: all given
    sampler = RandomMaskSampler(dict(transition=1, i2v=1, prediction=1, unconditional=1),
                                max_given=2)
    g = torch.Generator().manual_seed(0)
    masks, types = sampler(400, 8, g)
    assert masks.shape == (400, 1, 8, 1, 1)
    kinds = {t.rstrip('0123456789') for t in types}
    assert kinds == {'onelast', 'first', 'all'}
    assert {'onelast1', 'onelast2', 'first1', 'first2', 'first3'} <= set(types)
    for m, t in zip(masks[:, 0, :, 0, 0], types):
        assert torch.equal(m, frame_mask(t, 8))
    with pytest.raises(ValueError, match='Invalid mask type'):
        RandomMaskSampler(dict(morph=1.0))
    only = RandomMaskSampler(dict(i2v=1.0))(5, 8, g)[1]
    assert only == ['first1'] * 5


def test_loss_noises_only_the_latent_channels():
    model = SEINE(unet=UNET, seed=0)
    seen = {}

    def spy(module, args, kwargs):
        seen['x'], seen['t'] = args[0], args[1]

    model.unet.register_forward_pre_hook(spy, with_kwargs=True)
    video = torch.rand(3, 1, 3, 8, 16, 16) * 2 - 1  # (B, clips, C, F, H, W) in [-1, 1]
    loss = model(video, mode='loss')['loss_diffusion']
    assert torch.isfinite(loss) and loss > 0
    x = seen['x']
    clean = video[:, 0]  # (B, C, F, H, W)
    mask = x[:, 3:4]
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    given = mask[:, 0, :, 0, 0] == 0
    # masked latent: the clean given frames, 0 where generated; x_t noised everywhere
    torch.testing.assert_close(x[:, 4:], clean * given[:, None, :, None, None])
    assert not torch.allclose(x[:, :3], clean)
    assert seen['t'].min() >= 0 and seen['t'].max() < 1000


def test_text_dropout_and_x0_target():
    model = SEINE(unet=UNET, seed=0, text_dropout=1.0,
                  scheduler=dict(prediction_type='sample', clip_sample=True))
    captions = []
    model.pipeline = (lambda orig: lambda **kw: _Spy(orig(**kw), captions))(model.pipeline)

    class Sample:
        metainfo = dict(caption='a red circle moves left')

    model.loss(torch.zeros(2, 3, 8, 16, 16), [Sample(), Sample()])
    assert captions == [['', '']]
    with pytest.raises(ValueError, match='text_dropout'):
        SEINE(unet=UNET, text_dropout=1.5)


class _Spy:
    def __init__(self, pipe, log):
        self.pipe, self.log = pipe, log

    def encode_prompt(self, prompts, **kwargs):
        self.log.append(list(prompts))
        return self.pipe.encode_prompt(prompts, **kwargs)

    def __getattr__(self, name):
        return getattr(self.pipe, name)


@pytest.mark.parametrize('trainable', [True, False])
def test_tiny_text_encoder_from_config(trainable):
    """A random-init CLIP text model over a local tokenizer: trained with the UNet when
    ``trainable`` (gradients reach it), otherwise frozen in eval mode as SEINE's CLIP."""
    text = dict(config=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                            num_attention_heads=2),
                tokenizer=dict(type='BertTokenizer', vocab=['[PAD]', '[UNK]', '[CLS]', '[SEP]',
                                                            'a', 'red', 'circle', 'moves',
                                                            'left']),
                max_length=8, trainable=trainable)
    model = SEINE(unet=UNET, text_encoder=text, seed=0).train()
    assert model.text_encoder.training == trainable
    assert model.text_encoder.config.vocab_size == 9

    class Sample:
        metainfo = dict(caption='a red circle moves left')

    model.loss(torch.zeros(2, 3, 8, 16, 16), [Sample(), Sample()])['loss_diffusion'].backward()
    grads = [p.grad for p in model.text_encoder.parameters()]
    assert all(g is not None for g in grads) if trainable else all(g is None for g in grads)
    emb = model.pipeline().encode_prompt(['a red circle', 'moves left'])
    assert emb.shape == (2, 8, 16) and not emb.requires_grad
    with pytest.raises(ValueError, match='pretrained=PATH'):
        SEINE(unet=UNET, text_encoder=dict(config=dict(hidden_size=16)))


def test_ddim_and_scheduler_checks():
    sched = SEINEScheduler(sampler='ddim')
    sched.set_timesteps('ddim50')
    assert sched.timesteps[0] == 980 and len(sched.timesteps) == 50
    x0 = torch.rand(1, 4, 2, 3, 3)
    noise = torch.randn_like(x0)
    t = sched.timesteps[10]
    xt = sched.add_noise(x0, noise, t.reshape(1))
    out = sched.step(noise, t, xt)  # the true eps: x0 is recovered exactly (eta 0)
    torch.testing.assert_close(out.pred_original_sample, x0, atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match='not one of the respaced timesteps'):
        sched.step(noise, 981, xt)
    with pytest.raises(ValueError, match="'ddpm' or 'ddim'"):
        SEINEScheduler(sampler='euler')
