"""The UMT and VideoMAE V2 model zoos: every metafile entry names a config that exists, passes
the config checker and builds (full size, on the meta device) with the parameter count the
metafile prints; every released weight file is listed exactly once.

What ``Parameters`` counts (as the metafiles' headers say): a classifier (``Recognizer3D``) is
counted whole; a pre-training model (UMT stage 1, VideoMAE V2) by its encoder (``backbone``);
a UMT stage-2 video-text model without its frozen CLIP teacher. The stage-2 configs name a hub
tokenizer / BERT checkpoint; those are swapped for the local synthetic vocabulary and no BERT
weights, which leaves the architecture (the config's BERT dict) and so the count unchanged.
"""
import functools
import re
from collections import Counter
from pathlib import Path

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.registry import init_default_scope

import projects.umt  # noqa: F401
import projects.videomaev2  # noqa: F401
from mmvideofm.engine.config_check import check_config
from mmvideofm.registry import MODELS

REPO = Path(__file__).parents[2]
PLUGINS = ('umt', 'videomaev2')
COLLECTIONS = {'umt': 'UMT', 'videomaev2': 'VideoMAEv2'}
init_default_scope('mmvideofm')


def _metafile(plugin: str) -> dict:
    return yaml.safe_load((REPO / 'configs' / plugin / 'metafile.yml').read_text())


ENTRIES = [(plugin, m) for plugin in PLUGINS for m in _metafile(plugin)['Models']]
CONFIGS = sorted({m['Config'] for _, m in ENTRIES})


def _weight_file(entry: dict) -> str:
    names = re.findall(r'[\w.-]+\.pth', entry['Weights'])
    assert names, f"{entry['Name']}: no .pth file named in Weights: {entry['Weights']!r}"
    return names[-1]


@functools.cache
def _config(path: str) -> Config:
    return Config.fromfile(str(REPO / path))


@functools.cache
def _counted_params(path: str) -> int:
    """Build the config's model once, on the meta device, and count it (see module doc)."""
    model_cfg = _config(path).model.copy()
    model_cfg.get('data_preprocessor', {}).pop('blending', None)  # Beta distributions, CPU only
    stage2 = 'text_encoder' in model_cfg
    if stage2:  # no hub: same BERT architecture from the config dict, local vocabulary
        model_cfg.text_encoder = dict(model_cfg.text_encoder, pretrained=None)
        model_cfg.tokenizer = dict(type='BertTokenizer', vocab='synthetic')
    with torch.device('meta'):
        model = MODELS.build(model_cfg)
    if stage2:
        return sum(p.numel() for n, p in model.named_parameters() if not n.startswith('teacher.'))
    if model_cfg.type == 'Recognizer3D':
        return sum(p.numel() for p in model.parameters())
    return sum(p.numel() for p in model.backbone.parameters())


def test_metafiles_parse_and_entries_are_complete():
    for plugin in PLUGINS:
        meta = _metafile(plugin)
        assert [c['Name'] for c in meta['Collections']] == [COLLECTIONS[plugin]]
        for m in meta['Models']:
            assert m['In Collection'] == meta['Collections'][0]['Name']
            assert m['Config'].startswith(f'configs/{plugin}/'), m['Name']
            for key in ('Parameters', 'FLOPs'):
                assert re.match(r'[\d.]+[MG]\b', str(m['Metadata'][key])), (m['Name'], key)
            for result in m.get('Results', []):
                assert result['Metrics'] and all(isinstance(v, (int, float))
                                                 for v in result['Metrics'].values())
    names = [m['Name'] for _, m in ENTRIES]
    assert len(names) == len(set(names)), [n for n, c in Counter(names).items() if c > 1]


def test_every_weight_file_is_listed_once():
    counts = Counter(_weight_file(m) for _, m in ENTRIES)
    assert [w for w, c in counts.items() if c > 1] == []
    for _, m in ENTRIES:  # UMT also names the file under `Converted From`
        source = str(m.get('Converted From', {}).get('Weights', ''))
        if source.endswith('.pth'):
            assert source == _weight_file(m), m['Name']


@pytest.mark.parametrize('path', CONFIGS)
def test_config_exists_and_checks(path):
    assert (REPO / path).is_file(), path
    check_config(_config(path))


@pytest.mark.parametrize('entry', [m for _, m in ENTRIES], ids=[m['Name'] for _, m in ENTRIES])
def test_parameter_count_matches_the_metafile(entry):
    printed = re.match(r'([\d.]+)M', str(entry['Metadata']['Parameters'])).group(1)
    decimals = len(printed.split('.')[1]) if '.' in printed else 0
    measured = _counted_params(entry['Config'])
    assert f'{measured / 1e6:.{decimals}f}' == printed, (entry['Name'], measured)


METAFILES = sorted((REPO / 'configs').glob('*/metafile.yml'))


@pytest.mark.parametrize('metafile', METAFILES, ids=lambda p: p.parent.name)
def test_every_plugin_metafile_names_configs_that_exist_and_check(metafile):
    """All plugins' zoos (the parameter counts above are checked for UMT and VideoMAE V2)."""
    plugin = metafile.parent.name
    meta = yaml.safe_load(metafile.read_text())
    assert meta['Collections'] and meta['Models'], metafile
    names = [m['Name'] for m in meta['Models']]
    assert len(names) == len(set(names)), metafile
    for m in meta['Models']:
        assert m['In Collection'] in [c['Name'] for c in meta['Collections']], m['Name']
        assert m['Config'].startswith(f'configs/{plugin}/'), m['Name']
        assert (REPO / m['Config']).is_file(), m['Config']
        check_config(_config(m['Config']))
