"""The 'videochat2' converter: official layouts of every stage (tiny models with the official
key names), the keys left missing after loading, stage refusals, Mistral names, the CLI."""
import os.path as osp
import subprocess
import sys

import pytest
import torch

import projects.videochat2  # noqa: F401
from mmvideofm.checkpoint import get_converter, unwrap_state_dict
from mmvideofm.registry import MODELS
from projects.videochat2.converter import StageMismatchError, detect_stage

from .fixtures import S1_CASE, it_cfg, load, manifest, stage1_cfg

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
LORA_CASE, PLAIN_CASE = 'vc2_it_f8_s32_q8e4_instr_lora', 'vc2_it_f4_s48_q6e0_noinstr'


def _saved_by_train_it(case: str) -> dict:
    """What ``tasks/train_it.py`` writes: the state dict without frozen parameters."""
    sd = load(case, 'state_dict')
    keys = manifest()[case]['saved_by_train_it_keys']
    keys = keys['kept'] if isinstance(keys, dict) else keys
    return {k: sd[k] for k in keys}


def _frozen_llm_keys(model) -> set:
    return {n for n, p in model.named_parameters() if not p.requires_grad}


@pytest.mark.parametrize('case,stage', [(LORA_CASE, 3), (PLAIN_CASE, 2)])
def test_missing_keys_are_the_frozen_llm(case, stage):
    ckpt = {'model': _saved_by_train_it(case), 'optimizer': {}, 'epoch': 2}
    assert detect_stage(ckpt['model']) == stage
    model = MODELS.build(it_cfg(case, stage=stage))
    missing, unexpected = model.load_state_dict(
        get_converter('videochat2')(unwrap_state_dict(ckpt)), strict=False)
    assert unexpected == []
    assert set(missing) == _frozen_llm_keys(model)
    assert all(k.startswith('llm.model.') for k in missing)
    # exactly the tensors train_it.py dropped: 2 layers x (q,k,v,o,gate,up,down, 2 norms) + 3
    assert len(missing) == len(load(case, 'state_dict')) - len(ckpt['model']) == 9 * 2 + 3


def test_stage_refusals():
    s3 = get_converter('videochat2')(load(LORA_CASE, 'state_dict'))
    stage1 = MODELS.build(stage1_cfg())
    with pytest.raises(StageMismatchError, match='stage-3 VideoChat2 checkpoint.*stage-1'):
        stage1.load_state_dict(s3, strict=False)
    stage2 = MODELS.build(it_cfg(PLAIN_CASE, stage=2))
    with pytest.raises(StageMismatchError, match='stage-3'):
        stage2.load_state_dict(get_converter('videochat2')(_saved_by_train_it(LORA_CASE)),
                               strict=False)
    # stage 1 -> stage 2 (official vit_blip_model_path, strict=False): vision + Q-Former
    s1 = get_converter('videochat2')(load(S1_CASE, 'state_dict'))
    s1_cfg = stage1_cfg()
    llm = dict(it_cfg(LORA_CASE)['llm'], peft=None)
    model = MODELS.build(it_cfg(
        LORA_CASE, stage=2, llm=llm, vision_encoder=s1_cfg['vision_encoder'],
        qformer=dict(s1_cfg['qformer'], text_input=False, num_extra_query_tokens=2)))
    missing, unexpected = model.load_state_dict(s1, strict=False)
    assert not [k for k in missing if k.startswith(('vision_encoder.', 'vision_layernorm',
                                                    'qformer.bert', 'qformer.query'))]
    assert 'qformer.extra_query_tokens' in missing and 'llm_proj.weight' in missing
    assert 'temp' in unexpected and 'itm_head.weight' in unexpected
    with pytest.raises(ValueError, match='not a VideoChat2 checkpoint'):
        detect_stage({'blocks.0.attn.qkv.weight': torch.zeros(1)})


def test_mistral_layout():
    """VideoChat2-Mistral: ``mistral_model`` / ``mistral_proj``, LoRA on q,k,v,o, the MLP and
    ``lm_head``; the official peft 0.4 names round-trip to ours."""
    mistral = dict(model_type='mistral', vocab_size=400, hidden_size=32, intermediate_size=64,
                   num_hidden_layers=1, num_attention_heads=4, num_key_value_heads=2,
                   max_position_embeddings=256, sliding_window=None, tie_word_embeddings=False)
    targets = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj',
               'lm_head']
    llm = dict(it_cfg(LORA_CASE)['llm'], model=mistral,
               peft=dict(type='LoRA', r=4, alpha=8, dropout=0.1, targets=targets))
    model = MODELS.build(it_cfg(LORA_CASE, llm=llm, template='mistral_inst'))
    ours = model.state_dict()
    official = {}
    for key, value in ours.items():
        key = key.replace('.base_layer.', '.').replace('llm.model.', 'mistral_model.')
        key = key.replace('llm_proj.', 'mistral_proj.').replace('qformer.query_tokens',
                                                                'query_tokens')
        key = key.replace('qformer.extra_query_tokens', 'extra_query_tokens')
        official[key.replace('vision_encoder.', 'vision_encoder.encoder.')] = value
    assert 'mistral_model.base_model.model.lm_head.lora_A.default.weight' in official
    assert 'mistral_proj.weight' in official and detect_stage(official) == 3
    assert set(get_converter('videochat2')(official)) == set(ours)
    frozen = {k for k, p in model.named_parameters() if not p.requires_grad}
    assert all('lora_' not in k for k in frozen) and any('lm_head.base_layer' in k for k in frozen)


def test_cli(tmp_path):
    src = tmp_path / 'videochat2_7b_stage3.pth'
    torch.save({'model': _saved_by_train_it(LORA_CASE), 'epoch': 1}, src)
    out = tmp_path / 'out.pth'
    res = subprocess.run([sys.executable, 'tools/convert_checkpoint.py', 'videochat2', str(src),
                          str(out)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    converted = torch.load(out, weights_only=True)['state_dict']
    assert 'qformer.query_tokens' in converted and 'vision_encoder.blocks.0.attn.q_bias' in \
        converted
