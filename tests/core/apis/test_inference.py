"""mmvideofm.apis: init_model, inference_recognizer, extract_features on real tiny mp4s."""
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmvideofm.apis import (
    build_test_pipeline,
    extract_features,
    get_class_names,
    inference_recognizer,
    init_model,
    topk_predictions,
)
from mmvideofm.checkpoint import StateDictMismatchError
from mmvideofm.datasets.synthetic import WorldConfig
from mmvideofm.datasets.synthetic.export import export_dataset
from mmvideofm.datasets.video_io import VideoReadError, open_video
from mmvideofm.models.backbones import CLIPVisual

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO, 'configs', 'videovit',
                  'videovit-tiny-p8_scratch_synthetic-direction-16x32.py')
UMT_CONFIG = osp.join(REPO, 'configs', 'umt', 'umt-tiny-p8_ft_synthetic-direction-8x32.py')


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    """Three 8-frame 32 px mp4s of the synthetic world + test.txt + classes.txt."""
    out = str(tmp_path_factory.mktemp('synthetic'))
    export_dataset(out, task='direction', num_train=0, num_val=0, num_test=3,
                   config=WorldConfig(num_frames=8, size=32), progress=False)
    return out


@pytest.fixture(scope='module')
def model_and_ckpt(tmp_path_factory):
    torch.manual_seed(0)
    model = init_model(CONFIG)
    path = str(tmp_path_factory.mktemp('ckpt') / 'model.pth')
    # the layout the runner writes: meta (with dataset_meta) + state_dict + more
    torch.save(dict(meta=dict(dataset_meta=dict(classes=[f'c{i}' for i in range(9)])),
                    state_dict=model.state_dict(), message_hub={}), path)
    return model, path


def test_init_model_loads_checkpoint(model_and_ckpt):
    ref, path = model_and_ckpt
    # a different random init (another seed), overwritten by the checkpoint
    model = init_model(CONFIG, path, device='cpu', cfg_options={'randomness.seed': 1})
    assert not model.training and isinstance(model.cfg, Config)
    for key, value in ref.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value, rtol=0, atol=0, msg=key)
    assert get_class_names(model) == [f'c{i}' for i in range(9)]
    # a bare state dict (torch.save(model.state_dict())) loads too
    bare = osp.join(osp.dirname(path), 'bare.pth')
    torch.save(ref.state_dict(), bare)
    torch.testing.assert_close(init_model(CONFIG, bare).backbone.blocks[0].attn.qkv.weight,
                               ref.backbone.blocks[0].attn.qkv.weight, rtol=0, atol=0)


def test_random_weights_are_the_same_in_every_process_and_keep_the_global_rng():
    torch.manual_seed(3)
    state = torch.get_rng_state()
    a = init_model(CONFIG).backbone.blocks[0].attn.qkv.weight
    assert torch.equal(torch.get_rng_state(), state)  # building did not consume the global RNG
    torch.manual_seed(4)  # the global seed does not matter, the config's does
    assert torch.equal(init_model(CONFIG).backbone.blocks[0].attn.qkv.weight, a)
    other = init_model(CONFIG, cfg_options={'randomness.seed': 1})
    assert not torch.equal(other.backbone.blocks[0].attn.qkv.weight, a)


def test_init_model_refuses_a_checkpoint_of_another_model(model_and_ckpt, tmp_path):
    _, path = model_and_ckpt
    with pytest.raises(StateDictMismatchError) as err:  # other widths: every block mis-shaped
        init_model(CONFIG, path, cfg_options={'model.backbone.embed_dim': 64,
                                              'model.cls_head.in_channels': 64})
    assert 'shape mismatches' in str(err.value) and 'backbone.patch_embed.proj.weight' in str(
        err.value) and path in str(err.value)
    # an official-style file (no ``backbone.`` prefix) names the missing keys and the converter
    official = str(tmp_path / 'official.pth')
    state = torch.load(path, weights_only=True)['state_dict']
    torch.save({'model': {k.replace('backbone.', ''): v for k, v in state.items()}}, official)
    with pytest.raises(StateDictMismatchError, match='convert_checkpoint.py') as err:
        init_model(CONFIG, official)
    assert 'missing keys' in str(err.value) and 'backbone.blocks.0.attn.qkv.weight' in str(
        err.value)
    with pytest.raises(FileNotFoundError, match='config file not found'):
        init_model(osp.join(REPO, 'configs', 'no_such.py'))


def test_inference_recognizer_equals_test_step(model_and_ckpt, data):
    _, path = model_and_ckpt
    model = init_model(CONFIG, path)
    video = osp.join(data, 'test', '000000.mp4')
    result = inference_recognizer(model, video)
    assert result.pred_score.shape == (9, )
    torch.testing.assert_close(result.pred_score.sum(), torch.tensor(1.), rtol=0, atol=1e-5)
    # the same video through the config's test pipeline and Runner-style test_step
    pipeline = build_test_pipeline(model.cfg)
    sample = pipeline(dict(filename=video, label=-1, start_index=0, modality='RGB'))
    with torch.no_grad():
        expected = model.test_step(pseudo_collate([sample]))[0].pred_score
    torch.testing.assert_close(result.pred_score, expected, rtol=0, atol=0)
    # decoded frames in memory give the same prediction as the file
    with open_video(video) as reader:
        frames = reader.get_frames(np.arange(len(reader)))
    torch.testing.assert_close(inference_recognizer(model, frames).pred_score, expected,
                               rtol=0, atol=0)
    torch.testing.assert_close(
        inference_recognizer(model, torch.from_numpy(frames)).pred_score, expected,
        rtol=0, atol=0)
    top = topk_predictions(result, k=3, class_names=get_class_names(model))
    order = result.pred_score.argsort(descending=True)[:3].tolist()
    assert [label for label, _, _ in top] == order
    assert [name for _, name, _ in top] == [f'c{i}' for i in order]
    assert top[0][2] == pytest.approx(float(result.pred_score.max()))
    with pytest.raises(VideoReadError, match='no such file'):
        inference_recognizer(model, osp.join(data, 'test', 'missing.mp4'))
    with pytest.raises(ValueError, match=r'uint8 \(T, H, W, 3\)'):
        inference_recognizer(model, frames.astype(np.float32))


def test_class_names_from_classes_txt_beside_the_list(data):
    model = init_model(CONFIG, cfg_options={
        'test_dataloader.dataset.ann_file': osp.join(data, 'test.txt')})
    with open(osp.join(data, 'classes.txt')) as f:
        assert get_class_names(model) == f.read().split()
    assert len(get_class_names(model)) == 9


def _manual_tokens(vit, x, upto):
    """VideoViT by hand: tubelet embed + sinusoid table + blocks[:upto + 1]."""
    t = vit.patch_embed.proj(x).flatten(2).transpose(1, 2) + vit.pos_embed
    for blk in vit.blocks[:upto + 1]:
        t = blk(t)
    return t


def test_extract_features_videovit_shapes_and_layers(model_and_ckpt, data):
    _, path = model_and_ckpt
    model = init_model(CONFIG, path)
    video = osp.join(data, 'test', '000001.mp4')
    inputs = model.data_preprocessor(pseudo_collate([build_test_pipeline(model.cfg)(
        dict(filename=video, label=-1, start_index=0, modality='RGB'))]), False)['inputs']
    x = inputs.flatten(0, 1)  # (V=1, 3, 16, 32, 32)
    vit = model.backbone
    with torch.no_grad():
        pooled = extract_features(model, video)
        assert pooled.shape == (1, 96)  # (V, C)
        last = _manual_tokens(vit, x, vit.depth - 1)
        torch.testing.assert_close(pooled, vit.fc_norm(last.mean(1)), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(pooled, vit(x), rtol=0, atol=0)
        for layer in (0, 2):
            tokens = extract_features(model, video, layer=layer)
            assert tokens.shape == (1, 8 * 4 * 4, 96)  # (V, T'*H'*W', C)
            torch.testing.assert_close(tokens, _manual_tokens(vit, x, layer), rtol=1e-5,
                                       atol=1e-6)
        torch.testing.assert_close(extract_features(model, video, layer=-1),
                                   extract_features(model, video, layer=3), rtol=0, atol=0)
        # an already preprocessed clip skips the pipeline
        torch.testing.assert_close(extract_features(model, x[0]), pooled, rtol=0, atol=0)
    for bad in (4, -5, 1.5):
        with pytest.raises(ValueError, match=r'layer must be an int in \[-4, 3\]'):
            extract_features(model, video, layer=bad)


def test_extract_features_umt_config_with_custom_imports(tmp_path):
    """A plugin config (custom_imports projects.umt) with the UMTViT backbone."""
    model = init_model(UMT_CONFIG)
    assert type(model.backbone).__name__ == 'UMTViT'
    # an official fine-tuned layout (bare ViT keys) is refused, naming the plugin's converter
    official = str(tmp_path / 'official.pth')
    torch.save({k.replace('backbone.', ''): v for k, v in model.state_dict().items()}, official)
    with pytest.raises(StateDictMismatchError, match='convert_checkpoint.py umt IN OUT'):
        init_model(UMT_CONFIG, official)
    x = torch.randn(2, 3, 8, 32, 32)
    with torch.no_grad():
        pooled = extract_features(model, x)
        assert pooled.shape == (2, 64)
        # use_mean_pooling=False: the mean of the norm-ed tokens
        torch.testing.assert_close(pooled, model.backbone.forward_features(x).mean(1),
                                   rtol=0, atol=0)
        assert extract_features(model, x, layer=1).shape == (2, 8 * 16, 64)


def test_extract_features_clip_visual():
    torch.manual_seed(0)
    clip = CLIPVisual(arch=None, input_resolution=32, patch_size=8, width=32, layers=2,
                      heads=2, output_dim=16, return_layers=1).eval()
    x = torch.randn(2, 3, 4, 32, 32)
    frames = x.transpose(1, 2).reshape(8, 3, 32, 32)
    with torch.no_grad():
        emb = extract_features(clip, x)
        assert emb.shape == (2, 4, 16)  # (B, T, output_dim), one L2-normalised row per frame
        torch.testing.assert_close(emb, clip.encode_image(frames).reshape(2, 4, 16))
        torch.testing.assert_close(emb.norm(dim=-1), torch.ones(2, 4))
        tokens = extract_features(clip, x, layer=0)
        assert tokens.shape == (2, 4, 1 + 16, 32)  # (B, T, 1 + HW, width)
        t = clip.conv1(frames).flatten(2).transpose(1, 2)
        t = torch.cat([clip.class_embedding.expand(8, 1, -1), t], 1) + clip.positional_embedding
        t = clip.transformer.resblocks[0](clip.ln_pre(t))
        torch.testing.assert_close(tokens, t.reshape(2, 4, 17, 32))


def test_config_object_imports_custom_modules(tmp_path, monkeypatch):
    """A Config (not a file) still gets its custom_imports; any backbone with ``blocks``."""
    (tmp_path / 'apis_test_plugin.py').write_text(
        'import torch\n'
        'from torch import nn\n'
        'from mmvideofm.registry import MODELS\n\n\n'
        '@MODELS.register_module(force=True)\n'
        'class ApisTestBackbone(nn.Module):\n'
        '    def __init__(self):\n'
        '        super().__init__()\n'
        '        self.blocks = nn.ModuleList([nn.Linear(3, 5), nn.Linear(5, 7)])\n\n'
        '    def forward(self, x):\n'
        '        x = x.mean((2, 3, 4))\n'
        '        for blk in self.blocks:\n'
        '            x = torch.tanh(blk(x))\n'
        '        return x\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop('apis_test_plugin', None)
    cfg = Config(dict(
        default_scope='mmvideofm',
        custom_imports=dict(imports=['apis_test_plugin'], allow_failed_imports=False),
        model=dict(type='Recognizer3D', backbone=dict(type='ApisTestBackbone'),
                   cls_head=dict(type='TimeSformerHead', num_classes=2, in_channels=7),
                   data_preprocessor=dict(type='ActionDataPreprocessor',
                                          format_shape='NCTHW'))))
    model = init_model(cfg)
    assert 'apis_test_plugin' in sys.modules
    x = torch.randn(2, 3, 2, 4, 4)
    with torch.no_grad():
        torch.testing.assert_close(extract_features(model, x), model.backbone(x))
        torch.testing.assert_close(extract_features(model, x, layer=0),
                                   model.backbone.blocks[0](x.mean((2, 3, 4))))


def test_init_model_data_root_reaches_the_test_list(tmp_path):
    """``cfg_options=dict(data_root=...)`` moves the paths the config built from it, as
    ``--cfg-options data_root=...`` does for tools/train.py (issue #10, item 10)."""
    root = str(tmp_path / 'elsewhere')
    model = init_model(CONFIG, cfg_options=dict(data_root=root))
    dataset = model.cfg.test_dataloader.dataset
    assert dataset.ann_file == f'{root}/test.txt' and dataset.data_prefix.video == root
