"""CLIP text tower: OpenAI keys, identical to open_clip's CLIP text features."""
import open_clip
import pytest
import torch

from mmvideofm.models.text import CLIPTextTransformer, build_tokenizer

TEXT_CFG = dict(context_length=16, vocab_size=49408, width=32, heads=4, layers=2)
CAPTIONS = ['a red circle moves up', 'a green cross moves down-left',
            'the yellow triangle turns white and then hits a cyan square while moving']


def _open_clip_model(quick_gelu=True):
    torch.manual_seed(0)
    return open_clip.model.CLIP(embed_dim=24, quick_gelu=quick_gelu,
                                vision_cfg=dict(image_size=32, patch_size=16, width=32,
                                                layers=1, head_width=16),
                                text_cfg=TEXT_CFG).eval()


def _openai_text_keys(state: dict) -> dict:
    """The text half of an OpenAI / open_clip CLIP state dict (everything but ``visual.*``
    and ``logit_scale``)."""
    return {k: v for k, v in state.items()
            if not k.startswith('visual.') and k not in ('logit_scale', 'logit_bias')}


@pytest.mark.parametrize('quick_gelu', [True, False])
def test_same_features_as_open_clip(quick_gelu):
    ref = _open_clip_model(quick_gelu)
    ours = CLIPTextTransformer(arch=None, output_dim=24, quick_gelu=quick_gelu,
                               **TEXT_CFG).eval()
    text_sd = _openai_text_keys(ref.state_dict())
    assert {k.split('.')[0] for k in text_sd} == {
        'token_embedding', 'positional_embedding', 'transformer', 'ln_final', 'text_projection'}
    ours.load_state_dict(text_sd, strict=True)
    ids = open_clip.tokenize(CAPTIONS, context_length=16)  # the last caption is truncated
    with torch.no_grad():
        torch.testing.assert_close(ours.encode_text(ids), ref.encode_text(ids), atol=1e-6,
                                   rtol=1e-6)
        tokens = ours.forward_text(ids)
    assert tokens.shape == (3, 16, 32)
    # shorter inputs use the first positions (ViCLIP truncates CLIP's table to 32 rows)
    short = build_tokenizer(dict(type='CLIPTokenizer'))(CAPTIONS[:2], max_length=10)
    with torch.no_grad():
        torch.testing.assert_close(ours.forward_text(short['input_ids']),
                                   ours.forward_text(ids[:2, :10]).contiguous())
    assert ours.pooled_dim == 24


def test_causal_and_eot_pooling():
    """Tokens after EOT (padding) change nothing: attention is causal, pooling at EOT."""
    torch.manual_seed(0)
    tower = CLIPTextTransformer(arch=None, output_dim=8, **TEXT_CFG).eval()
    ids = open_clip.tokenize(CAPTIONS[:1], context_length=16)
    other = ids.clone()
    other[0, -1] = 320  # a real word in a padding slot
    with torch.no_grad():
        torch.testing.assert_close(tower.encode_text(ids), tower.encode_text(other))
        assert not torch.allclose(tower.forward_text(ids)[0, -1],
                                  tower.forward_text(other)[0, -1])


def test_arch_presets_and_errors():
    with torch.device('meta'):
        b = CLIPTextTransformer(arch='b', context_length=32)
    assert b.positional_embedding.shape == (32, 512) and b.text_projection.shape == (512, 512)
    with pytest.raises(ValueError, match='unknown CLIP text arch'):
        CLIPTextTransformer(arch='h')
    with pytest.raises(ValueError, match='needs'):
        CLIPTextTransformer(arch=None, width=8)
    tower = CLIPTextTransformer(arch=None, output_dim=8, **TEXT_CFG)
    with pytest.raises(ValueError, match='context length'):
        tower.forward_text(torch.zeros(1, 17, dtype=torch.long))
