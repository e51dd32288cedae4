"""Harvest's completed behaviour (patches really dropped, SOT/EOT protected, MLM through the
fusion decoder) against the released switch, a training step, and bad input."""
from __future__ import annotations

import math

import pytest
import torch
from mmaction.structures import ActionDataSample

import projects.harvest  # noqa: F401
from projects.harvest.benchmarks import build_harvest

EOT = 49407


def tiny(**kwargs) -> torch.nn.Module:
    torch.manual_seed(0)
    model = build_harvest('t', img_size=32, drop_ratio=0.5)
    for key, value in kwargs.items():
        setattr(model, key, value)
    return model


def samples(captions: list[str]) -> list[ActionDataSample]:
    return [ActionDataSample(metainfo=dict(caption=c)) for c in captions]


def test_patches_really_dropped():
    """Default: dropped patches never reach the tower (their pixels do not matter); the
    released switch draws the same mask and ignores it."""
    model = tiny().eval()
    video = torch.randn(2, 3, 8, 32, 32)
    text = model.tokenize(['a red circle moves left'] * 2, 'cpu')
    _, _, drop = model.draw_masks(text, video)
    assert drop.shape == (16, 16) and (drop.sum(1) == 8).all()
    tokens, feat = model.encode_vision(video, drop)
    assert tokens.shape == (1 + 8, 2, 8, 64)
    # change the pixels of one dropped patch of frame 0 of clip 0
    p = int(drop[0].nonzero()[0])
    edited = video.clone()
    edited[0, :, 0, (p // 4) * 8:(p // 4 + 1) * 8, (p % 4) * 8:(p % 4 + 1) * 8] += 5.
    assert torch.allclose(model.encode_vision(edited, drop)[1], feat, atol=1e-6)
    full = model.encode_vision(video)[1]
    assert not torch.allclose(full, feat, atol=1e-3)
    model.drop_patches = False  # released: indices drawn, ignored
    assert torch.equal(model.encode_vision(video, drop)[1], full)
    assert not torch.allclose(model.encode_vision(edited, drop)[1], full, atol=1e-6)


def test_sot_eot_protected_unless_released():
    model = tiny(mlm_mask_prob=0.9)
    text = model.tokenize(['a red circle moves left', 'a blue square'] * 8, 'cpu')
    video = torch.zeros(16, 3, 8, 32, 32)
    masked, labels, _ = model.draw_masks(text, video)
    eot = text.input_ids.argmax(1)
    assert not masked[:, 0].any() and not masked[torch.arange(16), eot].any()
    assert not masked[text.attention_mask == 0].any()  # padding
    assert masked.any() and torch.equal(labels[masked], text.input_ids[masked].long())
    assert (labels[~masked] == -100).all()
    model.protect_sot_eot = False  # the released rule: only padding is protected
    masked, _, _ = model.draw_masks(text, video)
    assert masked[:, 0].any() and masked[torch.arange(16), eot].any()
    assert not masked[text.attention_mask == 0].any()


def test_mask_embedding_replaces_the_token():
    model = tiny().eval()
    text = model.tokenize(['a red circle moves left'], 'cpu')
    masked = torch.zeros_like(text.input_ids, dtype=torch.bool)
    masked[0, 2] = True
    plain, pooled = model.encode_text(text)
    hidden, pooled_m = model.encode_text(text, masked)
    assert torch.equal(hidden[0, :2], plain[0, :2])  # causal: earlier positions unchanged
    assert not torch.allclose(hidden[0, 2:], plain[0, 2:])
    with torch.no_grad():  # the mask embedding is what position 2 sees
        model.text_encoder.token_embedding.weight[text.input_ids[0, 2]] = \
            model.text_encoder.text_mask_embedding[0, 0]
    assert torch.allclose(model.encode_text(text)[1], pooled_m, atol=1e-6)


def test_released_has_no_mlm_decoder():
    from mmvideofm.registry import MODELS
    with pytest.raises(ValueError, match='never built'):
        MODELS.build(dict(
            type='Harvest', released=True,
            backbone=dict(type='HarvestViT', arch=None, input_resolution=32, patch_size=8,
                          width=32, layers=2, heads=2, output_dim=16, return_list=(1, )),
            text_encoder=dict(type='HarvestCLIPText', arch=None, context_length=24, width=32,
                              heads=2, layers=1, output_dim=16),
            tokenizer=dict(type='CLIPTokenizer', context_length=24),
            fusion_decoder=dict(n_layers=1, num_visual_queries=4)))


def test_train_step_and_frozen_text():
    model = tiny()  # build_harvest freezes the text tower (official clip_freeze_text)
    with torch.no_grad():
        model.logit_scale.fill_(5.0)
    losses = model.loss(torch.randn(4, 3, 8, 32, 32),
                        samples(['a red circle moves left, then the red circle hits the blue '
                                 'square', 'a cyan cross moves up', 'a white square stays still',
                                 'an orange triangle moves down-right']))
    assert set(losses) == {'loss_vtc', 'loss_mlm'}
    assert model.logit_scale.item() == pytest.approx(math.log(100))  # clamped in place
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    text = model.text_encoder
    assert text.text_mask_embedding.grad is not None
    assert text.token_embedding.weight.grad is None and text.text_projection.grad is None
    assert all(p.grad is not None for p in model.caption_decoder.parameters())
    assert model.backbone.transformer.balance.grad is not None


def test_long_caption_truncated_with_eot():
    model = tiny(max_txt_len=24)
    long = ' '.join(['a red circle moves left and'] * 20)
    text = model.tokenize([long, 'a cat'], 'cpu')
    assert text.input_ids.shape == (2, 24)
    assert text.input_ids[0, -1] == EOT and text.attention_mask[0].all()
    out = model.predict(torch.randn(2, 3, 8, 32, 32), samples([long, 'a cat']))
    assert out[0].video_feat.shape == (1, 32) and out[0].text_feat.shape == (32, )
    assert torch.allclose(out[0].text_feat.norm(), torch.tensor(1.))


def test_wrong_frame_size_named():
    model = tiny()
    with pytest.raises(ValueError, match='positional table'):
        model.encode_vision(torch.randn(1, 3, 8, 48, 48))
