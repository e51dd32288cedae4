"""Rebuild the synthetic world's SentencePiece tokenizer (the tiny video LLMs' LLaMA tokenizer).

    .venv/bin/python tools/data/train_synthetic_tokenizer.py
    .venv/bin/python tools/data/train_synthetic_tokenizer.py --out work_dirs/synthetic_tokenizer --check

Trains a BPE model (LLaMA conventions: unk 0, bos 1, eos 2, byte fallback) on every kind of
text the synthetic instruction data and prompts contain
(``mmvideofm.datasets.synthetic.instruction.tokenizer_corpus``), deterministically, and writes
``<out>/tokenizer.model`` (default: the copy shipped in the package,
``mmvideofm/datasets/synthetic/assets/synthetic_llama_tokenizer/``). Load it with
``transformers.LlamaTokenizer.from_pretrained(<out>)`` or the core
``SentencePieceTokenizer(model_file=<out>/tokenizer.model)``. ``--check`` fails unless the
result equals the shipped file byte for byte.
"""
from __future__ import annotations

import argparse
import filecmp
import os.path as osp
import sys

from mmvideofm.datasets.synthetic.instruction import (
    SYNTHETIC_TOKENIZER_DIR,
    tokenizer_corpus,
    train_synthetic_tokenizer,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', default=SYNTHETIC_TOKENIZER_DIR, help='folder for tokenizer.model')
    p.add_argument('--vocab-size', type=int, default=1000)
    p.add_argument('--num-clips', type=int, default=40, help='synthetic clips per task')
    p.add_argument('--seed', type=int, default=0, help='synthetic world seed')
    p.add_argument('--check', action='store_true',
                   help='exit 1 unless the result equals the shipped tokenizer.model')
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    corpus = tokenizer_corpus(num_clips=args.num_clips, seed=args.seed)
    path = train_synthetic_tokenizer(args.out, args.vocab_size, corpus)
    print(f'wrote {path} ({osp.getsize(path)} bytes; {len(corpus)} training texts)')
    shipped = osp.join(SYNTHETIC_TOKENIZER_DIR, 'tokenizer.model')
    if args.check and osp.abspath(path) != osp.abspath(shipped):
        if not filecmp.cmp(path, shipped, shallow=False):
            sys.exit(f'{path} differs from the shipped {shipped}')
        print(f'identical to the shipped {shipped}')
    return path


if __name__ == '__main__':
    main()
