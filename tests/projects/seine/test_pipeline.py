"""Pipeline: the official input preprocessing (fixture cases), the tasks on a tiny random
SEINE with a tiny AutoencoderKL and CLIP text model built from config dicts, bad input."""
import warnings

import pytest
import torch

from projects.seine import SEINEScheduler, SEINEUNet, mask_generation_before
from projects.seine.pipeline import SEINEPipeline, masked_video, preprocess_images

from .conftest import load

TINY_UNET = dict(in_channels=9, out_channels=4,
                 down_block_types=['CrossAttnDownBlock3D', 'DownBlock3D'],
                 up_block_types=['UpBlock3D', 'CrossAttnUpBlock3D'], block_out_channels=[16, 32],
                 layers_per_block=1, norm_num_groups=8, cross_attention_dim=32,
                 attention_head_dim=[1, 2], rotary_dim=8)


@pytest.mark.parametrize('case,mask_type,size', [('seine_pre_i2v_first1', 'first1', (8, 16)),
                                                 ('seine_pre_trans_onelast1', 'onelast1', (8, 8))])
def test_preprocessing_matches_get_input(case, mask_type, size):
    io = load(f'{case}__io.pt')
    images = [io[k] for k in sorted(k for k in io if k.startswith('image.'))]  # natsorted
    frames = preprocess_images(images, size)
    num_frames = io['video_input'].shape[1]
    masked, mask = masked_video(frames, mask_type, num_frames)
    torch.testing.assert_close(masked, io['masked_video'][0], atol=1e-6, rtol=1e-6)
    ref_mask = mask_generation_before(mask_type, io['video_input'].shape)
    assert torch.equal(mask[None, :, None, None, None].expand_as(ref_mask), io['mask'])
    given = mask == 0
    torch.testing.assert_close(masked[given], io['video_input'][0][given], atol=1e-6, rtol=1e-6)


@pytest.fixture(scope='module')
def tiny_pipe():
    from diffusers import AutoencoderKL
    from transformers import CLIPTextConfig, CLIPTextModel

    from mmvideofm.models.text import build_tokenizer
    torch.manual_seed(0)
    unet = SEINEUNet(**TINY_UNET).eval()
    vae = AutoencoderKL(block_out_channels=[8, 8], down_block_types=['DownEncoderBlock2D'] * 2,
                        up_block_types=['UpDecoderBlock2D'] * 2, latent_channels=4,
                        norm_num_groups=4, sample_size=16).eval()
    text = CLIPTextModel(CLIPTextConfig(vocab_size=49408, hidden_size=32, intermediate_size=64,
                                        num_hidden_layers=1, num_attention_heads=2,
                                        max_position_embeddings=77)).eval()
    tok = build_tokenizer(dict(type='CLIPTokenizer', context_length=77))
    return SEINEPipeline(unet, SEINEScheduler(), vae, text, tok, trained_frames=4)


def _image(h=16, w=16, seed=0):
    return (torch.rand(h, w, 3, generator=torch.Generator().manual_seed(seed)) * 255).to(
        torch.uint8).numpy()


def test_tasks_run_and_are_seeded(tiny_pipe):
    kw = dict(num_frames=4, num_inference_steps=3, height=16, width=16)
    a = tiny_pipe.transition(_image(), _image(seed=1), generator=torch.Generator().manual_seed(1),
                             **kw)
    b = tiny_pipe.transition(_image(), _image(seed=1), generator=torch.Generator().manual_seed(1),
                             **kw)
    assert a.frames.shape == (1, 4, 3, 16, 16) and torch.equal(a.frames, b.frames)
    assert a.mask.tolist() == [0, 1, 1, 0]
    steps = []
    i2v = tiny_pipe.image_to_video(_image(), 'a red car', callback=lambda i, n: steps.append(i),
                                   generator=torch.Generator().manual_seed(2), **kw)
    assert steps == [1, 2, 3] and i2v.mask.tolist() == [0, 1, 1, 1]
    long = tiny_pipe.predict(_image(), num_clips=2, given=2,
                             generator=torch.Generator().manual_seed(3), **kw)
    assert long.shape == (4 + 2, 3, 16, 16)
    story = tiny_pipe.story([_image(), _image(seed=2)], ['a', 'b'],
                            generator=torch.Generator().manual_seed(4), **kw)
    assert story.shape == (4 + 2 + 4, 3, 16, 16)


def test_memory_savers_keep_the_result(tiny_pipe):
    kw = dict(num_frames=4, num_inference_steps=2, height=16, width=16, guidance_scale=8.0)
    ref = tiny_pipe.transition(_image(), _image(seed=1), generator=torch.Generator().manual_seed(5),
                               **kw).frames
    tiny_pipe.enable_attention_slicing(1)
    tiny_pipe.enable_vae_slicing()
    tiny_pipe.enable_vae_tiling()
    tiny_pipe.enable_model_cpu_offload('cpu')
    try:
        out = tiny_pipe.transition(_image(), _image(seed=1),
                                   generator=torch.Generator().manual_seed(5), **kw).frames
    finally:
        tiny_pipe.enable_attention_slicing(None)
        tiny_pipe.vae.disable_slicing()
        tiny_pipe.vae.disable_tiling()
        tiny_pipe._offload = None
    torch.testing.assert_close(out, ref, atol=1e-4, rtol=1e-4)


def test_bad_input(tiny_pipe):
    kw = dict(num_frames=4, num_inference_steps=2, height=16, width=16)
    with pytest.raises(ValueError, match='Invalid mask type.*onelastN'):
        tiny_pipe([_image()], mask_type='last1', **kw)
    with pytest.raises(ValueError, match='guidance_scale'):
        tiny_pipe([_image()], guidance_scale=0.5, **kw)
    with pytest.warns(UserWarning, match='trained with 4 frames'):
        tiny_pipe([_image()], **dict(kw, num_frames=6))
    with pytest.warns(UserWarning, match='different sizes'):
        out = tiny_pipe.transition(_image(16, 16), _image(24, 20), **dict(kw, height=None,
                                                                           width=None))
    assert out.frames.shape[-2:] == (16, 16)  # resized to the first scene's size
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # the same images with an explicit size: no warning
        tiny_pipe.transition(_image(16, 16), _image(24, 20), **kw)
    with pytest.raises(ValueError, match='needs at least 4 frames'):
        tiny_pipe([_image()], mask_type='onelast2', **dict(kw, num_frames=3))
