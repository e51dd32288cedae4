"""The core CLIP checkpoint reader: OpenAI TorchScript archives, open_clip state dicts and
training checkpoints, safetensors; other layouts refused (tiny open_clip models, no download)."""
from __future__ import annotations

import warnings

import open_clip
import pytest
import torch
from open_clip.model import CLIPTextCfg, CLIPVisionCfg
from safetensors.torch import save_file

from mmvideofm.checkpoint import (
    NotCLIPCheckpointError,
    clip_sizes,
    convert_clip,
    get_converter,
    load_clip_checkpoint,
)


def tiny_clip(width: int = 32) -> torch.nn.Module:
    """A random open_clip ViT CLIP (OpenAI key names) small enough for a unit test."""
    torch.manual_seed(0)
    return open_clip.model.CLIP(
        embed_dim=16, quick_gelu=True,
        vision_cfg=CLIPVisionCfg(layers=2, width=width, patch_size=8, image_size=32,
                                 head_width=16),
        text_cfg=CLIPTextCfg(context_length=16, vocab_size=100, width=32, heads=2, layers=2)
    ).eval()


def _same(sd: dict, model: torch.nn.Module) -> None:
    ref = model.state_dict()
    assert sorted(sd) == sorted(ref)
    assert all(torch.equal(sd[k], ref[k]) for k in ref)


def test_open_clip_state_dict_and_training_checkpoint(tmp_path):
    model = tiny_clip()
    bare, train = tmp_path / 'bare.pt', tmp_path / 'epoch_1.pt'
    torch.save(model.state_dict(), bare)
    torch.save({'epoch': 1, 'name': 'tiny', 'state_dict': {
        f'module.{k}': v for k, v in model.state_dict().items()}}, train)
    _same(load_clip_checkpoint(bare), model)
    _same(load_clip_checkpoint(train), model)
    st = tmp_path / 'open_clip_model.safetensors'
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(st))
    _same(load_clip_checkpoint(st), model)


def test_openai_torchscript_archive(tmp_path):
    """OpenAI releases TorchScript archives: read with torch.jit.load, buffers dropped."""
    model = tiny_clip()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        traced = torch.jit.trace(model, (torch.randn(1, 3, 32, 32),
                                         torch.randint(0, 100, (1, 16))), check_trace=False,
                                 strict=False)
        path = tmp_path / 'ViT-tiny.pt'
        torch.jit.save(traced, str(path))
        sd = load_clip_checkpoint(path)
    _same(sd, model)
    # the project's converter tool reads the same archive (through the core loader)
    import importlib.util
    import os.path as osp
    tool_path = osp.join(osp.dirname(__file__), '..', '..', '..', 'tools', 'convert_checkpoint.py')
    spec = importlib.util.spec_from_file_location('convert_checkpoint', tool_path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main(['clip', str(path), str(tmp_path / 'clip.pth')]) == 0
    _same(torch.load(tmp_path / 'clip.pth', weights_only=True)['state_dict'], model)


def test_sizes_and_registry():
    sd = tiny_clip().state_dict()
    assert clip_sizes(sd) == dict(patch_size=8, input_resolution=32, vision_width=32,
                                  vision_layers=2, embed_dim=16, context_length=16,
                                  vocab_size=100, text_width=32, text_heads=1, text_layers=2)
    assert get_converter('clip') is convert_clip
    # open_clip's CustomTextCLIP keeps the text tower under ``text.``
    custom = {('text.' + k if not k.startswith(('visual.', 'logit_scale')) else k): v
              for k, v in sd.items()}
    assert sorted(convert_clip(custom)) == sorted(sd)


@pytest.mark.parametrize('keys, hint', [
    (['vision_model.embeddings.patch_embedding.weight'], 'transformers'),
    (['visual.layer1.0.conv1.weight', 'visual.attnpool.c_proj.weight'], 'ResNet'),
    (['encoder.blocks.0.attn.qkv.weight'], 'not a ViT CLIP'),
])
def test_other_layouts_refused(keys, hint):
    with pytest.raises(NotCLIPCheckpointError, match=hint):
        convert_clip({k: torch.zeros(1) for k in keys})
