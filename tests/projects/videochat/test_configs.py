"""Every VideoChat config parses and names registered things; the official trainable set
and hyper-parameters; the tiny config builds and takes a training step (conversation loss)."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import projects.videochat  # noqa: F401
from mmvideofm.engine.config_check import check_config
from mmvideofm.registry import MODELS, TRANSFORMS

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'videochat', '*.py')))


def _cfg(name: str) -> Config:
    return Config.fromfile(osp.join(REPO, 'configs', 'videochat', name))


def test_config_checks():
    assert len(CONFIGS) >= 7
    for path in CONFIGS:
        cfg = Config.fromfile(path)
        check_config(cfg)
        assert 'projects.videochat' in cfg.custom_imports.imports


def test_official_hyper_parameters():
    s1 = _cfg('videochat_vicuna-7b_stage1_webvid-cc-coco-4x224.py')
    m = s1.model
    assert (m.vision_encoder.depth, m.vision_encoder.embed_dim, m.vision_encoder.gmhra_layers,
            m.vision_encoder.gmhra_dropout) == (39, 1408, 8, 0.5)
    assert (m.qformer.num_query_tokens, m.qformer.num_extra_query_tokens) == (32, 64)
    assert m.freeze_vit and not m.freeze_mhra and m.freeze_qformer
    assert m.llm.tuning == 'frozen' and m.num_frames == 4
    assert [c.source for c in m.init_cfg] == ['eva_vit_g', 'blip2_qformer']
    assert s1.optim_wrapper.optimizer.lr == 1e-4 and s1.train_cfg.max_epochs == 1
    assert s1.optim_wrapper.optimizer.weight_decay == 0.02 and s1.train_dataloader.batch_size == 32
    assert s1.param_scheduler[1].eta_min == pytest.approx(1e-6) and s1.model.llm.max_txt_len == 32
    s2 = _cfg('videochat_vicuna-7b_stage2_instruction-8x224.py')
    assert s2.model.num_frames == 8 and s2.optim_wrapper.optimizer.lr == 2e-5
    assert s2.train_cfg.max_epochs == 3 and s2.load_from.endswith('epoch_1.pth')
    assert s2.train_dataloader.batch_size == 1 and s2.model.llm.max_txt_len == 512
    assert s2.param_scheduler[1].eta_min == pytest.approx(5e-6) and s2.param_scheduler[0].end == 0.6
    s13 = _cfg('videochat_stable-vicuna-13b_stage2_instruction-8x224.py')
    assert s13.model.llm.model.endswith('stable-vicuna-13b')


def test_tiny_config_trains_the_official_set_and_steps():
    init_default_scope('mmvideofm')
    cfg = _cfg('videochat-tiny_stage1_synthetic-4x56.py').model.to_dict()
    cfg.update(freeze_vit=True, freeze_qformer=True,
               llm=dict(cfg['llm'], tuning='frozen'))  # the official stage switches
    model = MODELS.build(cfg)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {n for n, _ in model.named_parameters() if 'mhra' in n
                         or n.startswith(('vision_layernorm.', 'llm_proj.'))
                         or n == 'qformer.extra_query_tokens'}
    assert not model.qformer.extra_query_tokens.any()  # zero-created
    results = TRANSFORMS.build(dict(type='InstructionAsQuestion'))(dict(qa=[dict(
        i='Describe the video.', q='', a='A red square moves left.')]))
    assert results['qa'][0]['q'] == 'Describe the video.'
    conv = model.template.training_conversation(results['qa'], 'The video contains 4 frames '
                                                'sampled at 0.0, 0.5, 1.0, 1.5 seconds.')[0]
    video = torch.randn(2, 3, 4, 56, 56)
    model.train()
    loss = model.loss(video, [dict(conversation=conv, media_type='video')] * 2)['loss']
    loss.backward()
    assert torch.isfinite(loss)
    assert model.vision_encoder.gmhra[0].attn.out_proj.weight.grad is not None
    assert model.vision_encoder.blocks[0].attn.qkv.weight.grad is None
