"""Tokenizers in the ``TOKENIZERS`` registry, all from local files (nothing is downloaded).

Every entry is called like a transformers tokenizer --
``tok(texts, padding='max_length', truncation=True, max_length=L, return_tensors='pt')`` ->
``{'input_ids', 'attention_mask'}`` ``(B, L)`` -- and exposes ``vocab_size`` and
``pad_token_id`` (plus ``mask_token_id`` / ``cls_token_id`` where the vocabulary has them):

- ``BertTokenizer``: transformers' WordPiece from a ``vocab.txt``, a word list, the synthetic
  world's vocabulary or a local folder (UMT, VideoChat2 stage 1).
- ``CLIPTokenizer``: open_clip's BPE, whose vocabulary ships in the wheel (ViCLIP, Harvest);
  ids equal ``open_clip.tokenize`` (SOT, EOT, zero padding; an over-long text ends in EOT).
- ``SentencePieceTokenizer``: a local SentencePiece ``.model`` (needs ``sentencepiece``).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import BertTokenizer as HFBertTokenizer

from mmvideofm.registry import TOKENIZERS

__all__ = ['build_tokenizer', 'BertTokenizer', 'CLIPTokenizer', 'SentencePieceTokenizer',
           'synthetic_vocab']

BERT_SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']


def build_tokenizer(cfg: dict):
    """``TOKENIZERS.build`` with a message that lists the registered names."""
    cfg = dict(cfg)
    if 'type' not in cfg:
        raise ValueError(f'a tokenizer config needs a type (one of '
                         f'{sorted(TOKENIZERS.module_dict)}), got {cfg}')
    return TOKENIZERS.build(cfg)


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
    return BERT_SPECIAL + sorted(words)


def _read_vocab(path: str) -> list[str]:
    with open(path, encoding='utf-8') as f:
        return [line.rstrip('\n') for line in f if line.rstrip('\n')]


@TOKENIZERS.register_module()
def BertTokenizer(vocab_file: str | None = None,  # noqa: N802 - a registered type name
                  vocab: str | Sequence[str] | None = None,
                  name_or_path: str | None = None,
                  do_lower_case: bool = True) -> HFBertTokenizer:
    """transformers' ``BertTokenizer`` from exactly one of: ``vocab_file`` (a BERT
    ``vocab.txt``), ``vocab`` (``'synthetic'`` or a word list, specials first) or
    ``name_or_path`` (a local folder or an already-cached hub name)."""
    given = [k for k, v in dict(vocab_file=vocab_file, vocab=vocab,
                                name_or_path=name_or_path).items() if v is not None]
    if len(given) != 1:
        raise ValueError(f'BertTokenizer needs exactly one of vocab_file, vocab or '
                         f'name_or_path, got {given or "none"}')
    if name_or_path is not None:
        return HFBertTokenizer.from_pretrained(name_or_path, do_lower_case=do_lower_case)
    if vocab_file is not None:
        words = _read_vocab(vocab_file)
    else:
        words = synthetic_vocab() if vocab == 'synthetic' else list(vocab)
    return HFBertTokenizer(vocab={w: i for i, w in enumerate(words)},
                           do_lower_case=do_lower_case)


class _FixedLengthTokenizer:
    """The transformers call convention for tokenizers that only pad to a fixed length."""

    pad_token_id = 0
    mask_token_id: int | None = None
    cls_token_id: int | None = None
    context_length: int

    def encode_batch(self, texts: list[str], max_length: int
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(input_ids, attention_mask)``, each ``(B, max_length)``, padded and truncated."""
        raise NotImplementedError

    def __call__(self, texts: str | Sequence[str], padding: str | bool = 'max_length',
                 truncation: bool = True, max_length: int | None = None,
                 return_tensors: str | None = 'pt') -> dict[str, torch.Tensor]:
        if padding != 'max_length' or not truncation or return_tensors != 'pt':
            raise ValueError(f'{type(self).__name__} pads and truncates to max_length and '
                             f"returns tensors: call it with padding='max_length', "
                             f"truncation=True, return_tensors='pt'")
        texts = [texts] if isinstance(texts, str) else list(texts)
        ids, mask = self.encode_batch(texts, max_length or self.context_length)
        return dict(input_ids=ids, attention_mask=mask)


@TOKENIZERS.register_module()
class CLIPTokenizer(_FixedLengthTokenizer):
    """open_clip's CLIP BPE tokenizer (``bpe_simple_vocab_16e6.txt.gz`` from the wheel).

    Args:
        context_length: Default ``max_length`` (77 in CLIP, 32 in ViCLIP).
    """

    def __init__(self, context_length: int = 77) -> None:
        from open_clip.tokenizer import SimpleTokenizer
        self._bpe = SimpleTokenizer(context_length=context_length)
        self.context_length = context_length
        self.vocab_size = self._bpe.vocab_size
        self.sot_token_id = self._bpe.sot_token_id
        self.eot_token_id = self._bpe.eot_token_id

    def encode_batch(self, texts: list[str], max_length: int
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        ids = self._bpe(texts, context_length=max_length)
        # id 0 is both the padding and the token '!': keep up to EOT (the highest id)
        eot = ids.argmax(dim=1, keepdim=True)
        return ids, (torch.arange(max_length)[None] <= eot).long()


@TOKENIZERS.register_module()
class SentencePieceTokenizer(_FixedLengthTokenizer):
    """A SentencePiece model from a local ``.model`` file (``sentencepiece`` package).

    Args:
        model_file: Path of the ``.model``.
        add_bos / add_eos: Prepend BOS / append EOS (kept as the last token on truncation).
        pad_token_id: Padding id when the model defines none (SentencePiece's default -1).
        context_length: Default ``max_length``.
    """

    def __init__(self, model_file: str, add_bos: bool = True, add_eos: bool = True,
                 pad_token_id: int = 0, context_length: int = 32) -> None:
        try:
            import sentencepiece
        except ImportError as err:
            raise ImportError('SentencePieceTokenizer needs the sentencepiece package: '
                              'pip install sentencepiece') from err
        self.sp = sentencepiece.SentencePieceProcessor(model_file=str(model_file))
        self.add_bos, self.add_eos = add_bos, add_eos
        self.pad_token_id = self.sp.pad_id() if self.sp.pad_id() >= 0 else pad_token_id
        self.bos_token_id, self.eos_token_id = self.sp.bos_id(), self.sp.eos_id()
        if (add_bos and self.bos_token_id < 0) or (add_eos and self.eos_token_id < 0):
            raise ValueError(f'{model_file} has no BOS/EOS piece; set add_bos/add_eos=False')
        self.vocab_size = self.sp.vocab_size()
        self.context_length = context_length

    def encode_batch(self, texts: list[str], max_length: int
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        ids_out = torch.full((len(texts), max_length), self.pad_token_id, dtype=torch.long)
        mask = torch.zeros(len(texts), max_length, dtype=torch.long)
        for i, ids in enumerate(self.sp.encode(texts)):
            ids = [self.bos_token_id] * self.add_bos + ids
            ids = ids[:max_length - self.add_eos] + [self.eos_token_id] * self.add_eos
            ids_out[i, :len(ids)] = torch.tensor(ids)
            mask[i, :len(ids)] = 1
        return ids_out, mask
