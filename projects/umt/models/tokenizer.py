"""Tokenizers for UMT stage 2: BERT WordPiece from local files (nothing is downloaded)."""
from __future__ import annotations

from transformers import BertTokenizer

__all__ = ['build_tokenizer', 'synthetic_vocab']

SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']


def synthetic_vocab() -> list[str]:
    """Every word of the synthetic world's captions (plus BERT's specials and punctuation)."""
    from mmvideofm.datasets.synthetic import (
        COLORS,
        DIRECTIONS,
        SHAPES,
        TASKS,
        SyntheticWorld,
        WorldConfig,
    )
    words = set(COLORS) | set(SHAPES) | {w for d in DIRECTIONS for w in d.split('-')}
    words |= {'a', 'an', 'the', 'and', 'then', 'while', 'moves', 'moving', 'stays', 'stay',
              'still', 'appears', 'disappears', 'turns', 'hits', 'starts', 'stops', 'nothing',
              'happens', '-', ',', '.'}
    world = SyntheticWorld(WorldConfig(num_frames=8, size=32), seed=0)
    for task in [None, *TASKS]:
        for i in range(60):
            words |= set(world.sample(i, task).caption.replace(',', ' , ').replace('-', ' - ')
                         .split())
    return SPECIAL + sorted(words)


def _read_vocab(path: str) -> list[str]:
    with open(path, encoding='utf-8') as f:
        return [line.rstrip('\n') for line in f if line.rstrip('\n')]


def build_tokenizer(cfg: dict) -> BertTokenizer:
    """``dict(vocab_file=...)`` (a BERT ``vocab.txt``), ``dict(vocab='synthetic' | [words])``
    or ``dict(name_or_path=...)`` (a local folder or an already-cached hub name)."""
    cfg = dict(cfg)
    lower = cfg.pop('do_lower_case', True)
    if 'vocab_file' in cfg:
        words = _read_vocab(cfg['vocab_file'])
    elif 'vocab' in cfg:
        words = synthetic_vocab() if cfg['vocab'] == 'synthetic' else list(cfg['vocab'])
    elif 'name_or_path' in cfg:
        return BertTokenizer.from_pretrained(cfg['name_or_path'])
    else:
        raise ValueError(f'tokenizer config needs vocab_file, vocab or name_or_path, got {cfg}')
    return BertTokenizer(vocab={w: i for i, w in enumerate(words)}, do_lower_case=lower)
