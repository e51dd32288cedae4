"""Every VideoChat2 config parses and names registered things; the tiny stage configs build
and take a step; the 7B stage-3 FSDP strategy wraps a tiny model on gloo (CPU) and steps."""
import glob
import os
import os.path as osp
import socket
from unittest import mock

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import BaseDataElement

import projects.videochat2  # noqa: F401
from mmvideofm.engine.config_check import check_config
from mmvideofm.registry import MODELS

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'videochat2', '*.py')))
init_default_scope('mmvideofm')


def _cfg(name: str) -> Config:
    return Config.fromfile(osp.join(REPO, 'configs', 'videochat2', name))


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.basename(p) for p in CONFIGS])
def test_config_checks(path):
    cfg = Config.fromfile(path)
    check_config(cfg)
    assert 'projects.videochat2' in cfg.custom_imports.imports


def test_official_hyper_parameters():
    s1 = _cfg('videochat2_umt-l16-qformer_stage1_webvid10m-cc14m-4x224.py')
    assert s1.model.temp == 0.07 and s1.model.num_frames == 4 and s1.model.freeze_vision_encoder
    assert s1.model.vision_encoder.return_index == -2 and s1.model.embed_dim == 768
    assert s1.optim_wrapper.optimizer.lr == 1e-4 and s1.train_cfg.max_epochs == 10
    s2 = _cfg('videochat2_vicuna-7b_stage2_webvid10m-cc14m-plus-8x224.py')
    assert s2.model.llm.tuning == 'frozen' and s2.model.qformer.num_extra_query_tokens == 64
    assert s2.runner_type == 'FlexibleRunner' and s2.strategy.zero_optimization.stage == 2
    s3 = _cfg('videochat2_vicuna-7b_stage3_instruction-8x224.py')
    assert s3.model.llm.peft == dict(r=16, alpha=32, dropout=0.1)
    assert s3.model.qformer.text_input and s3.optim_wrapper.optimizer.lr == 2e-5
    assert s3.strategy.type == 'FSDPStrategy' and s3.load_from.endswith('epoch_1.pth')
    assert s3.model.init_cfg.checkpoint.endswith('epoch_10.pth')  # stage 1 first
    z3 = _cfg('videochat2_vicuna-7b_stage3_instruction-8x224_zero3.py')
    assert z3.strategy.zero_optimization.stage == 3
    mistral = _cfg('videochat2_mistral-7b_stage3_instruction-8x224.py')
    assert 'lm_head' in mistral.model.llm.peft.targets and mistral.model.template == \
        'mistral_inst'


def _video(b=2, t=8, size=32):
    return torch.randn(b, 3, t, size, size)


@pytest.mark.parametrize('name', ['videochat2-tiny_stage1_synthetic-4x32.py',
                                  'videochat2-tiny_stage2_synthetic-8x32.py',
                                  'videochat2-tiny_stage3_synthetic-8x32.py'])
def test_tiny_stage_step(name):
    cfg = _cfg(name)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    t = cfg.num_frames
    if 'stage3' in name:
        conv = ('Watch the video. ###Human: <Video></Video> ###Human: Which way does the '
                'circle move? ###Assistant: Left. ###')
        samples = [BaseDataElement(metainfo=dict(conversation=conv, instruction='Watch.',
                                                 media_type='video'))] * 2
    else:
        samples = [BaseDataElement(metainfo=dict(text=c, caption=c, video_idx=i))
                   for i, c in enumerate(['a red circle moves left', 'a blue square'])]
    losses = model(_video(t=t), samples, mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total)
    total.backward()
    grads = [p.grad for n, p in model.named_parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)
    if 'stage1' in name:
        assert all(p.grad is None for p in model.vision_encoder.parameters())
    else:
        assert model.vision_encoder.patch_embed.proj.weight.grad is not None


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_stage3_fsdp_on_cpu():
    """The 7B stage-3 FSDP strategy (one unit per ViT Block and LLaMA decoder layer) wraps the
    tiny stage-3 model on a 1-process gloo group and takes an optimizer step. Real run:
    ``torchrun --nproc_per_node 8 tools/train.py <stage-3 config> --launcher pytorch``."""
    import torch.distributed as dist
    from mmengine._strategy import FSDPStrategy
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    big, tiny = _cfg('videochat2_vicuna-7b_stage3_instruction-8x224.py'), \
        _cfg('videochat2-tiny_stage3_synthetic-8x32.py')
    env = dict(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(_free_port()), RANK='0',
               WORLD_SIZE='1', LOCAL_RANK='0')
    with mock.patch.dict(os.environ, env):
        dist.init_process_group('gloo', rank=0, world_size=1)
        try:
            strategy_cfg = big.strategy.to_dict()
            strategy_cfg.pop('type')
            strategy_cfg['model_wrapper']['device_id'] = torch.device('cpu')
            model = MODELS.build(tiny.model)
            wrapped, optim_wrapper = FSDPStrategy(**strategy_cfg).prepare(
                model, optim_wrapper=big.optim_wrapper)
            units = [m for m in wrapped.modules() if isinstance(m, FSDP)]
            assert len(units) == 1 + 2 + 2  # root + 2 ViT blocks + 2 LLaMA layers
            conv = '###Human: <Video></Video> ###Human: What moves? ###Assistant: A circle. ###'
            meta = dict(conversation=conv, instruction='', media_type='video')
            data = dict(inputs=[torch.randint(0, 255, (3, 8, 32, 32), dtype=torch.uint8)] * 2,
                        data_samples=[BaseDataElement(metainfo=meta)] * 2)
            losses = wrapped.train_step(data, optim_wrapper)
            assert torch.isfinite(losses['loss'])
        finally:
            dist.destroy_process_group()
