"""ViCLIP model: sizes of the presets, training step (VTC, frozen text, temp clamp, token
dropping), CLIP initialisation, checkpoint resizing and bad inputs."""
import open_clip
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import BaseDataElement

import projects.viclip  # noqa: F401
from mmvideofm.registry import MODELS
from projects.viclip.converter import clip_to_viclip
from projects.viclip.wise_ft import wise_ft

init_default_scope('mmvideofm')
CFG = 'configs/viclip/viclip-{}_internvid-10m-flt_stage1-mask0.9_u8-res224.py'


@pytest.mark.parametrize('size,total,vision', [('large-p14', 427_590_145, 303_974_400),
                                               ('base-p16', 149_603_841, 86_198_784)])
def test_presets_have_the_official_parameter_counts(size, total, vision):
    """The InternVid research notes' counts (= the -hf safetensors sizes)."""
    with torch.device('meta'):
        model = MODELS.build(Config.fromfile(CFG.format(size)).model)
    assert sum(p.numel() for p in model.parameters()) == total
    assert sum(p.numel() for p in model.vision_encoder.parameters()) == vision
    assert model.backbone is model.vision_encoder
    assert not any(p.requires_grad for p in model.text_encoder.parameters())  # frozen text


def _samples(captions):
    return [BaseDataElement(metainfo=dict(caption=c)) for c in captions]


def test_training_step_vtc_frozen_text_and_temp_clamp(viclip_cfg):
    model = MODELS.build(dict(viclip_cfg(), seed=0)).train()
    with torch.no_grad():
        model.temp.fill_(0.001)
    video = torch.randn(3, 3, 8, 32, 32)
    losses = model.loss(video, _samples(['a dog runs', 'a cat sleeps', 'rain falls']))
    assert set(losses) == {'loss_vtc'} and losses['loss_vtc'].ndim == 0
    assert float(model.temp.detach()) == pytest.approx(0.01)  # clamped to temp_min before the step
    losses['loss_vtc'].backward()
    assert model.temp.grad is not None and model.vision_encoder.proj.grad is not None
    assert model.vision_encoder.temporal_positional_embedding.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.text_encoder.parameters())
    # token dropping in training: 90 % of the 32 patch tokens are dropped (29), 3 kept
    with torch.no_grad():
        tokens = model.vision_encoder.forward_features(video, model.token_mask(video))
    assert tokens.shape[1] == 1 + 32 - int(0.9 * 32)
    assert model.no_weight_decay() >= {'temp', 'vision_encoder.positional_embedding',
                                       'vision_encoder.temporal_positional_embedding'}


def test_unfrozen_text_trains_and_captions_are_truncated_with_eot(viclip_cfg):
    model = MODELS.build(dict(viclip_cfg(), freeze_text=False, masking_prob=0.)).train()
    long = ' '.join(['word'] * 100)
    ids = model.tokenize([long], 'cpu').input_ids
    assert ids.shape == (1, 32) and ids[0, -1] == 49407 and ids[0, 0] == 49406
    loss = model.loss(torch.randn(2, 3, 8, 32, 32), _samples([long, 'short']))['loss_vtc']
    loss.backward()
    assert model.text_encoder.text_projection.grad is not None


def test_wrong_frame_count_is_an_error(viclip_cfg):
    model = MODELS.build(viclip_cfg()).eval()
    with pytest.raises(ValueError, match='num_frames=8'):
        model.encode_vision(torch.randn(1, 3, 4, 32, 32))


def _tiny_clip():
    torch.manual_seed(0)
    return open_clip.model.CLIP(
        embed_dim=32, quick_gelu=True,
        vision_cfg=dict(image_size=32, patch_size=16, width=48, layers=2, head_width=12),
        text_cfg=dict(context_length=77, vocab_size=49408, width=8, heads=2, layers=2)).eval()


def test_from_clip_image_path_equals_clip_and_wise_ft(viclip_cfg):
    """A CLIP image-text model converted to ViCLIP (temporal embedding zero): the T=1 path is
    CLIP's image encoder, texts are CLIP's text encoder (positions cut to 32)."""
    clip = _tiny_clip()
    sd = clip_to_viclip(clip.state_dict())
    model = MODELS.build(viclip_cfg()).eval()
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert missing == ['temp'] and not unexpected  # the temporal embedding starts at zero
    assert not model.vision_encoder.temporal_positional_embedding.any()
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.encode_vision(images), clip.encode_image(images),
                                   atol=1e-5, rtol=1e-5)
        ids = open_clip.tokenize(['a dog runs'], context_length=32)
        torch.testing.assert_close(model.text_features(['a dog runs']),
                                   clip.encode_text(open_clip.tokenize(['a dog runs']))[:1],
                                   atol=1e-5, rtol=1e-5)
    assert ids.shape == (1, 32)
    # WiSE-FT: halfway between the fine-tuned ViCLIP and CLIP, temporal embedding kept
    tuned = {k: v + 1 for k, v in model.state_dict().items()}
    mixed = wise_ft(tuned, clip.state_dict(), alpha=0.5)
    torch.testing.assert_close(mixed['vision_encoder.proj'], sd['vision_encoder.proj'] + 0.5)
    assert torch.equal(mixed['vision_encoder.temporal_positional_embedding'],
                       tuned['vision_encoder.temporal_positional_embedding'])
    with pytest.raises(ValueError, match='alpha'):
        wise_ft(tuned, clip.state_dict(), alpha=2.)


def test_temporal_embedding_resized_on_load(viclip_cfg):
    src = MODELS.build(viclip_cfg())
    sd = src.state_dict()
    for frames in (4, 16):
        cfg = viclip_cfg()
        cfg['vision_encoder']['num_frames'] = frames
        dst = MODELS.build(cfg)
        dst.load_state_dict(sd, strict=True)
        got = dst.vision_encoder.temporal_positional_embedding
        assert got.shape == (1, frames, 48)
        if frames == 4:  # cut, as the official load_temp_embed_with_mismatch
            torch.testing.assert_close(got, sd['vision_encoder.temporal_positional_embedding'][:, :4])
