"""Loading the official VideoChat2 parity fixtures copied into tests/data/videochat2."""
import functools
import json
import os.path as osp

import torch

DATA = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', 'data', 'videochat2'))
IT_CASES = ['vc2_it_f8_s32_q8e4_instr_lora', 'vc2_it_f4_s48_q6e0_noinstr',
            'vc2_eval_f4to16_s32_q8e8_mvbench']
S1_CASE = 'vc2_s1_f4_s32_q4_b4i3_tclamp'
TOL = dict(atol=1e-5, rtol=1e-5)


@functools.cache
def manifest() -> dict:
    with open(osp.join(DATA, 'manifest.json')) as f:
        return json.load(f)


def load(case: str, kind: str) -> dict:
    """``kind``: ``'io'`` or ``'state_dict'``."""
    return torch.load(osp.join(DATA, f'{case}__{kind}.pt'), weights_only=True)


def assert_close(actual: torch.Tensor, expected: torch.Tensor, **tol) -> None:
    torch.testing.assert_close(actual.detach().float(), expected.float(), **(tol or TOL))


def vit_cfg(ve: dict) -> dict:
    """``VideoChat2ViT`` config from an official ``vision_encoder`` config."""
    return dict(type='VideoChat2ViT',
                arch=dict(patch_size=ve['patch_size'], embed_dim=ve['encoder_embed_dim'],
                          depth=ve['encoder_depth'], num_heads=ve['encoder_num_heads'],
                          mlp_ratio=4.),
                encoder_depth=ve['encoder_depth'], return_index=ve['return_index'],
                img_size=ve['img_size'], num_frames=ve['num_frames'])


def stage1_cfg() -> dict:
    """The stage-1 case's model as a ``VideoChat2QFormer`` config."""
    m = manifest()[S1_CASE]
    cfg = m['config (EasyDict passed as config=)']
    bert = m["bert_config (Qformer BertConfig kwargs returned for 'bert-base-uncased')"]
    return dict(type='VideoChat2QFormer', vision_encoder=vit_cfg(cfg['model']['vision_encoder']),
                qformer=dict(bert_config=bert,
                             num_query_tokens=cfg['model']['qformer_num_query_tokens'],
                             drop_path_rate=cfg['model']['drop_path_rate']),
                tokenizer=dict(type='BertTokenizer', vocab_file=f'{DATA}/bert_vocab.txt'),
                num_frames=cfg['num_frames'], embed_dim=cfg['model']['embed_dim'],
                max_txt_len=manifest()[S1_CASE]['max_txt_l'])


def it_cfg(case: str, **overrides) -> dict:
    """A stage-2/3 case's model as a ``VideoChat2`` config (tiny LLaMA from the config)."""
    m = manifest()[case]
    mc = m['model_config']
    bert = m["bert_config (BertConfig kwargs returned for 'bert-base-uncased')"]
    llama = m['llama_config (LlamaConfig kwargs in config.json of llama_model_path)']
    peft = None
    if mc['use_lora']:
        peft = dict(type='LoRA', r=mc['lora_r'], alpha=mc['lora_alpha'],
                    dropout=mc['lora_dropout'])
    elif m.get('notebook_lora (get_peft_model applied after construction)'):
        nb = m['notebook_lora (get_peft_model applied after construction)']
        peft = dict(type='LoRA', r=nb['r'], alpha=nb['lora_alpha'], dropout=nb['lora_dropout'])
    cfg = dict(
        type='VideoChat2', vision_encoder=vit_cfg(mc['vision_encoder']),
        qformer=dict(bert_config=bert, num_query_tokens=mc['num_query_token'],
                     num_extra_query_tokens=mc['extra_num_query_token'],
                     text_input=mc['qformer_text_input'],
                     drop_path_rate=mc['qformer_drop_path_rate']),
        qformer_tokenizer=dict(type='BertTokenizer', vocab_file=f'{DATA}/bert_vocab.txt'),
        llm=dict(type='CausalLM', model=dict(model_type='llama', **llama),
                 tokenizer=f'{DATA}/llama_tokenizer/tokenizer.model', peft=peft,
                 max_txt_len=mc['max_txt_len']),
        stage=3, max_txt_len=mc['max_txt_len'])
    cfg.update(overrides)
    return cfg
