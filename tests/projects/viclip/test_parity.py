"""Parity with the official ViCLIP (InternVideo ``Data/InternVid/viclip``) on every golden case
of ``shared/parity/viclip`` (copied to ``tests/data/viclip``): vision / text features per block,
clip and image embeddings, similarities, the VTC loss and the CLIP BPE tokenizer."""
import json
import os.path as osp

import pytest
import torch
from mmengine.registry import init_default_scope

import projects.viclip  # noqa: F401
from mmvideofm.checkpoint import load_checkpoint_file, load_state_dict_checked
from mmvideofm.models.losses import VTCLoss, video_text_similarity
from mmvideofm.models.text import build_tokenizer
from mmvideofm.registry import MODELS
from projects.viclip.converter import convert_viclip

init_default_scope('mmvideofm')
DATA = osp.join(osp.dirname(__file__), '..', '..', 'data', 'viclip')
CASE = 'viclip_tiny_f8_s32'
TOL = dict(atol=1e-5, rtol=1e-5)
MANIFEST = json.load(open(osp.join(DATA, 'manifest.json')))


@pytest.fixture(scope='module')
def model(viclip_cfg, data_dir):
    sd = load_checkpoint_file(osp.join(data_dir, f'{CASE}__state_dict.pt'))
    net = MODELS.build(viclip_cfg()).eval()
    load_state_dict_checked(net, convert_viclip(sd), strict=True, converter_hint='viclip')
    return net


@pytest.fixture(scope='module')
def io(data_dir):
    return load_checkpoint_file(osp.join(data_dir, f'{CASE}__io.pt'))


def _hidden(blocks, run):
    out = []
    handles = [b.register_forward_hook(lambda m, i, o: out.append(o)) for b in blocks]
    try:
        result = run()
    finally:
        for h in handles:
            h.remove()
    return result, out


def test_state_dict_keys_are_official(model, data_dir):
    sd = load_checkpoint_file(osp.join(data_dir, f'{CASE}__state_dict.pt'))
    assert set(model.state_dict()) == set(sd)  # strict both ways, official names
    assert {k.split('.')[0] for k in sd} == {'vision_encoder', 'text_encoder', 'temp'}


def test_vision_features_video_and_image(model, io):
    video = io['video'].permute(0, 2, 1, 3, 4)  # official (B, T, C, H, W) -> ours (B, C, T, H, W)
    with torch.no_grad():
        emb, hidden = _hidden(model.vision_encoder.transformer.resblocks,
                              lambda: model.encode_vision(video, test=True))
        for i, h in enumerate(hidden):  # CLS then tokens in (n t) order
            torch.testing.assert_close(h, io[f'vision_hidden_states.{i}'], **TOL)
        torch.testing.assert_close(emb, io['video_embeds'], **TOL)
        # the default inference path (eval mode) is the official test=True path
        torch.testing.assert_close(model.encode_vision(video), io['video_embeds'], **TOL)
        # a 4-D image takes the T=1 path (mean temporal embedding)
        torch.testing.assert_close(model.encode_vision(io['image'], test=True),
                                   io['image_embeds'], **TOL)
        torch.testing.assert_close(model.extract_feat(video[:, None]), io['video_feat_l2'],
                                   **TOL)


def test_text_features_and_tokens(model, io):
    texts = MANIFEST[CASE]['texts']
    ids = model.tokenize(texts, 'cpu').input_ids
    assert torch.equal(ids, io['text_ids'].long())  # incl. the truncated third text
    with torch.no_grad():
        emb, hidden = _hidden(model.text_encoder.transformer.resblocks,
                              lambda: model.text_features(texts))
        for i, h in enumerate(hidden):
            torch.testing.assert_close(h, io[f'text_hidden_states.{i}'], **TOL)
        torch.testing.assert_close(emb, io['text_embeds'], **TOL)
        torch.testing.assert_close(model.text_features(texts, normalize=True),
                                   io['text_feat_l2'], **TOL)


def test_similarities_temperature_and_labels(model, io):
    texts = MANIFEST[CASE]['texts']
    video = io['video'].permute(0, 2, 1, 3, 4)
    with torch.no_grad():
        feats = model.retrieval_features(video, None)
        text = model.text_features(texts, normalize=True)
        sims = feats['video_feat'] @ text.T
        torch.testing.assert_close(sims, io['sims'], **TOL)
        torch.testing.assert_close(model.temp.detach(), io['temp'])
        torch.testing.assert_close(sims / model.temp, io['logits_per_video'], **TOL)
        torch.testing.assert_close(1 / model.temp, io['logit_scale'], **TOL)
        torch.testing.assert_close(model.predict_label_probs(video, texts),
                                   io['predict_label_probs'], **TOL)


def test_vtc_loss(model, io):
    """The official criterion on the first min(B, n_text) pairs, all-gather off."""
    texts = MANIFEST[CASE]['texts']
    video = io['video'].permute(0, 2, 1, 3, 4)
    with torch.no_grad():
        v = model.encode_vision(video, test=True)
        t = model.text_features(texts[:2])
        sim_v2t, sim_t2v = video_text_similarity(v, t, model.temp)
        torch.testing.assert_close(sim_v2t, io['vtc_sim_v2t'], **TOL)
        torch.testing.assert_close(sim_t2v, io['vtc_sim_t2v'], **TOL)
        loss = VTCLoss(all_gather=False)(v, t, model.temp)
    torch.testing.assert_close(loss, io['loss_vtc'], **TOL)
    assert abs(float(loss) - MANIFEST[CASE]['scalars']['loss_vtc']) < 1e-5


@pytest.mark.parametrize('context', [32, 77])
def test_tokenizer_cases(context, data_dir):
    """CLIP BPE as the official SimpleTokenizer + tokenize: ftfy / html cleaning, lower case,
    single digits, SOT/EOT, zero padding; an over-long text is cut to the context with EOT
    kept as its last token."""
    ref = load_checkpoint_file(osp.join(data_dir, 'clip_bpe_tokenizer.pt'))
    facts = json.load(open(osp.join(data_dir, 'clip_bpe_tokenizer.json')))
    texts = [s['text'] for s in facts['sentences']]
    tok = build_tokenizer(dict(type='CLIPTokenizer', context_length=context))
    ids = tok(texts, max_length=context)['input_ids']
    assert torch.equal(ids, ref[f'ids_ctx{context}'].long())
    for i, text in enumerate(texts):  # raw BPE ids (no SOT/EOT, no truncation)
        raw = tok._bpe.encode(text)
        assert raw == ref[f'encode_ids.{i}'].tolist() and len(raw) == int(ref['encode_len'][i])
    truncated = [i for i, s in enumerate(facts['sentences']) if len(s['encode_ids']) + 2 > context]
    assert truncated or context == 77
    for i in truncated:
        assert ids[i, -1] == facts['eot'] and ids[i, 0] == facts['sot']
        assert torch.equal(ids[i, 1:-1], torch.tensor(facts['sentences'][i]['encode_ids'][:context - 2]))


def test_masked_path_keeps_fixed_count(model, io):
    """Token dropping: exactly int(0.9 * N*T) of the N*T patch tokens are dropped per clip
    (official: 205 of 2048 kept at 8x224 px), drawn from the model's seeded generator."""
    video = io['video'].permute(0, 2, 1, 3, 4)
    mask = model.token_mask(video)
    assert mask.shape == (2, 32) and (mask.sum(1) == int(0.9 * 32)).all()
    feats = model.vision_encoder.forward_features(video, mask)
    assert feats.shape == (2, 1 + 32 - int(0.9 * 32), 48)
    # eval mode without the quirk switch: deterministic; with it: tokens dropped
    with torch.no_grad():
        a, b = model.encode_vision(video), model.encode_vision(video)
        torch.testing.assert_close(a, b)
        model.eval_masking = True
        try:
            masked = model.encode_vision(video)
        finally:
            model.eval_masking = False
    assert not torch.allclose(masked, a, atol=1e-3)
    with torch.no_grad():  # the same generator draw reproduces the dropped-token output
        model.set_rng_state(None)
        model.seed = 3
        m1 = model.token_mask(video)
        model.set_rng_state(None)
        assert torch.equal(m1, model.token_mask(video))
