"""Parity with the official InternVideo1 CoTrain code (tests/data/harvest, from
shared/parity/harvest): every fixture case, fp32 CPU, max-abs 1e-5; masks exact."""
from __future__ import annotations

import json
import os.path as osp

import pytest
import torch
from mmengine.structures import BaseDataElement

import projects.harvest  # noqa: F401
from mmvideofm.registry import MODELS
from projects.harvest.converter import convert_harvest

DATA = osp.join(osp.dirname(__file__), '..', '..', 'data', 'harvest')
CASES = ('harvest_tiny_f4_s32', 'harvest_tiny_f8_s48')
TOL = dict(atol=1e-5, rtol=1e-5)


def _manifest(case: str) -> dict:
    with open(osp.join(DATA, 'manifest.json')) as f:
        return json.load(f)[case]


def small_vocab(n: int) -> list[str]:
    """A word list of ``n`` entries (the tiny cases' vocabularies are synthetic ids)."""
    return ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] + [f'w{i}' for i in range(n - 5)]


def build_case(case: str, **kwargs) -> torch.nn.Module:
    """The Harvest model with the case's constructor sizes, official weights loaded strictly."""
    man = _manifest(case)
    vis, vi, dec = man['vision_ctor'], man['videointern'], man['decoder']
    model = MODELS.build(dict(
        type='Harvest',
        backbone=dict(type='HarvestViT', arch=None, return_list=vis['return_list'],
                      **{k: vis[k] for k in ('input_resolution', 'patch_size', 'width',
                                             'layers', 'heads', 'output_dim')}),
        text_encoder=dict(type='HarvestCLIPText', arch=None,
                          context_length=vi['context_length'], vocab_size=vi['vocab_size'],
                          width=vi['transformer_width'], heads=vi['transformer_heads'],
                          layers=vi['transformer_layers'], output_dim=vi['embed_dim']),
        tokenizer=dict(type='BertTokenizer', vocab=small_vocab(vi['vocab_size'])),
        max_txt_len=vi['context_length'],
        fusion_decoder=dict(n_layers=dec['n_layers'], transformer_heads=dec['transformer_heads'],
                            num_visual_queries=dec['num_visual_queries']),
        **kwargs))
    sd = torch.load(osp.join(DATA, f'{case}__state_dict.pt'), weights_only=True)
    model.load_state_dict(convert_harvest(sd), strict=True)
    return model.eval()


def _io(case: str) -> dict:
    return torch.load(osp.join(DATA, f'{case}__io.pt'), weights_only=True)


def _text(io: dict, prefix: str = '') -> BaseDataElement:
    return BaseDataElement(input_ids=io[f'{prefix}text_ids'].long(),
                           attention_mask=(~io[f'{prefix}special_tokens_mask']).long())


def _close(ours: torch.Tensor, ref: torch.Tensor, what: str) -> None:
    assert ours.shape == ref.shape, f'{what}: {tuple(ours.shape)} vs {tuple(ref.shape)}'
    err = (ours - ref).abs().max().item()
    assert torch.allclose(ours, ref, **TOL), f'{what}: max abs diff {err:.2e}'


def _record(model) -> dict:
    """Forward hooks on the blocks, extractors and decoder layers, named as the fixture."""
    out, handles = {}, []

    def keep(name, fn=lambda o: o):
        def hook(module, args, output):
            out[name] = fn(output)
        return hook
    for i, blk in enumerate(model.text_encoder.transformer.resblocks):
        handles.append(blk.register_forward_hook(keep(f'text_block_out.{i}',
                                                      lambda o: o.transpose(0, 1))))
    for i, blk in enumerate(model.backbone.transformer.resblocks):
        handles.append(blk.register_forward_hook(keep(f'vision_block_out.{i}',
                                                      lambda o: o.transpose(0, 1))))
    for j, dec in enumerate(model.backbone.transformer.dec):
        handles.append(dec.register_forward_hook(keep(f'vision_extractor_cls.{j}',
                                                      lambda o: o.transpose(0, 1))))
    decoder = model.caption_decoder
    handles.append(decoder.visual_pooler_norm.register_forward_hook(
        keep('decoder_pooled_visual')))
    handles.append(decoder.text_norm.register_forward_hook(keep('decoder_text_in')))
    for i, (sa, ca) in enumerate(decoder.multimodal_layers):
        handles.append(sa.register_forward_hook(keep(f'decoder_selfattn_out.{i}')))
        handles.append(ca.register_forward_hook(keep(f'decoder_layer_out.{i}')))
    return out, handles


@pytest.mark.parametrize('case', CASES)
def test_plain_forward(case):
    """Unmasked pass: features, token features, every block / extractor output."""
    io, model = _io(case), build_case(case)
    rec, handles = _record(model)
    video = io['video'].transpose(1, 2)
    with torch.no_grad():
        tokens, video_feat = model.encode_vision(video)
        hidden, text_feat = model.encode_text(_text(io))
    _close(video_feat[:, 0], io['plain.video_feats'], 'video_feats')
    _close(tokens, io['plain.video_all_feats'], 'video_all_feats')
    _close(text_feat, io['plain.text_feats'], 'text_feats')
    _close(hidden, io['plain.text_all_feats'], 'text_all_feats')
    names = [k[len('plain.'):] for k in io if k.startswith('plain.') and 'block_out' in k
             or k.startswith('plain.vision_extractor')]
    assert len(names) >= 4
    for name in names:
        _close(rec[name], io[f'plain.{name}'], name)
    for h in handles:
        h.remove()


@pytest.mark.parametrize('case', CASES)
def test_harvest_pass_losses(case):
    """The Harvest pass (text bernoulli, then patch ranks, from the mask seed), VTC on the
    masked text, MLM through the fusion decoder (the fixture's composition) and the caption
    loss; the drawn indices are ignored, as in the released code."""
    io, man = _io(case), _manifest(case)
    mask_seed = man['mask_seed']
    mlm_prob, mim_prob = man['mlm_prob'], man['mim_prob']
    model = build_case(case, drop_patches=False, protect_sot_eot=False, mlm_prob=mlm_prob,
                       video_drop_ratio=mim_prob, seed=mask_seed,
                       losses=dict(vtc=dict(type='VTCLoss'), mlm=dict(type='MLMLoss'),
                                   cap=dict(type='MLMLoss')))
    model.clamp_temperature()
    _close(model.logit_scale.detach(), io['logit_scale_after_clamp'], 'logit_scale')
    video, text = io['video'].transpose(1, 2), _text(io)
    text_masked, labels, drop = model.draw_masks(text, video)
    assert torch.equal(text_masked, io['harvest.text_masked_indices'])
    assert torch.equal(labels, io['harvest.mlm_labels'])
    assert torch.equal(drop, io['harvest.visual_masked_indices'])

    model.set_rng_state(None)  # the same draw again inside the losses
    rec, handles = _record(model)
    with torch.no_grad():
        losses = model.harvest_losses(video, text)
        hidden, text_feat = model.encode_text(text, text_masked)
        mlm_logits = model.caption_decoder(io['plain.video_all_feats'], hidden)
    _close(losses['loss_vtc'], io['harvest.contrastive_loss'], 'contrastive_loss')
    _close(losses['loss_mlm'], io['harvest.mlm_loss'], 'mlm_loss')
    _close(losses['loss_cap'], io['cap.cap_loss'], 'cap_loss')
    _close(text_feat, io['harvest.text_feats_masked'], 'text_feats_masked')
    _close(hidden, io['harvest.text_all_feats_masked'], 'text_all_feats_masked')
    _close(mlm_logits, io['harvest.mlm_logits'], 'mlm_logits')
    with torch.no_grad():
        model.caption_decoder(io['plain.video_all_feats'], hidden)
    for name in [k[len('harvest.'):] for k in io if k.startswith('harvest.decoder_')]:
        _close(rec[name], io[f'harvest.{name}'], f'harvest.{name}')
    with torch.no_grad():
        cap_hidden = model.encode_text(text)[0]
        logits, cap_labels = model.caption_logits(io['plain.video_all_feats'], cap_hidden, text)
    _close(logits, io['cap.cap_logits'], 'cap_logits')
    for name in [k[len('cap.'):] for k in io if k.startswith('cap.decoder_')]:
        _close(rec[name], io[f'cap.{name}'], f'cap.{name}')
    for h in handles:
        h.remove()
    # VTC logits: cos * exp(logit_scale), video rows
    with torch.no_grad():
        v = model.encode_vision(video)[1][:, 0]
        sim = torch.nn.functional.normalize(v, dim=-1) @ torch.nn.functional.normalize(
            text_feat, dim=-1).T / model.temp
    _close(sim, io['harvest.contrastive_image_logits'], 'contrastive_image_logits')


@pytest.mark.parametrize('case', CASES)
def test_mask_only(case):
    """The masking functions alone on the extra ids / video shapes (fresh seed each)."""
    io, man = _io(case), _manifest(case)
    model = build_case(case, protect_sot_eot=False, mlm_prob=man['mlm_prob'],
                       video_drop_ratio=man['mim_prob'])
    for k, (seed, _, shape) in enumerate(man['mask_only']):
        text = _text(io, f'mask_only.{k}.')
        model.seed = seed
        model.set_rng_state(None)
        masked, labels, _ = model.draw_masks(text, torch.zeros(shape))
        assert torch.equal(masked, io[f'mask_only.{k}.text_masked_indices'])
        assert torch.equal(labels, io[f'mask_only.{k}.mlm_labels'])
        model.set_rng_state(None)
        model.losses.pop('mlm')
        _, _, drop = model.draw_masks(text, torch.zeros(shape))
        assert torch.equal(drop, io[f'mask_only.{k}.visual_masked_indices'])
