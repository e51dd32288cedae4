"""The shared VideoChat golden cases (tests/data/videochat, copied from shared/parity) and
our model built from a case's official configs."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import torch
from mmengine.registry import init_default_scope

import projects.videochat  # noqa: F401  (registrations)
from mmvideofm.checkpoint import get_converter
from mmvideofm.registry import MODELS

DATA = Path(__file__).parents[2] / 'data' / 'videochat'
CASES = ['videochat_f4_s28_d3_g2', 'videochat_f8_s42_d2_g1']
TOL = dict(atol=1e-5, rtol=1e-5)
QFORMER_KEYS = ('hidden_size', 'num_hidden_layers', 'num_attention_heads', 'hidden_act',
                'intermediate_size', 'hidden_dropout_prob', 'attention_probs_dropout_prob',
                'max_position_embeddings', 'layer_norm_eps')


@cache
def load_case(case: str) -> tuple[dict, dict, dict]:
    """(state_dict, io, facts) of a golden case."""
    def pt(kind):
        return torch.load(DATA / f'{case}__{kind}.pt', weights_only=True)
    return pt('state_dict'), pt('io'), json.loads((DATA / f'{case}__facts.json').read_text())


def model_cfg(facts: dict) -> dict:
    """Our ``VideoChat`` config for a case (the official config dict's sizes)."""
    manifest = json.loads((DATA / 'manifest.json').read_text())
    vc, qc = facts['videochat_config'], facts['qformer_config']
    vit = next(m['vit_ctor'] for k, m in manifest.items()
               if isinstance(m, dict) and m.get('videochat_config') == vc)
    return dict(
        type='VideoChat',
        vision_encoder=dict(type='VideoChatEVAViT', img_size=vit['img_size'],
                            patch_size=vit['patch_size'], embed_dim=vit['embed_dim'],
                            depth=vit['depth'], num_heads=vit['num_heads'],
                            mlp_ratio=vit['mlp_ratio'], gmhra_layers=vc['gmhra_layers'],
                            gmhra_dropout=vc['gmhra_dropout']),
        qformer=dict(bert_config={k: qc[k] for k in QFORMER_KEYS},
                     num_query_tokens=vc['num_query_token'],
                     num_extra_query_tokens=vc['extra_num_query_token'],
                     cross_attention_freq=qc['cross_attention_freq']),
        llm=dict(type='CausalLM', model=dict(model_type='llama', **facts['llama_config']),
                 tokenizer=str(DATA / 'tokenizer.model'), tuning='frozen'),
        num_frames=len(facts['frame_indices']), image_size=vc['img_size'])


def build_case(case: str, load: bool = True):
    """Our model for a case, with the converted official state dict loaded strictly."""
    init_default_scope('mmvideofm')
    state, _, facts = load_case(case)
    model = MODELS.build(model_cfg(facts))
    if load:
        model.load_state_dict(get_converter('videochat')(state), strict=True)
    return model.eval()
