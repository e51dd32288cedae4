"""TOKENIZERS: CLIP BPE (= open_clip.tokenize), local BERT vocabularies, SentencePiece."""
import open_clip
import pytest
import torch

from mmvideofm.models.text import build_tokenizer, synthetic_vocab
from mmvideofm.registry import TOKENIZERS

TEXTS = ['a red circle moves up!', 'A Green CROSS moves down-left, then stops.',
         'the yellow triangle turns white and then hits a cyan square while moving right']


@pytest.mark.parametrize('length', [77, 32, 8])
def test_clip_bpe_equals_open_clip(length):
    tok = build_tokenizer(dict(type='CLIPTokenizer', context_length=length))
    out = tok(TEXTS, padding='max_length', truncation=True, max_length=length,
              return_tensors='pt')
    ref = open_clip.tokenize(TEXTS, context_length=length)
    assert torch.equal(out['input_ids'], ref)
    assert (out['input_ids'][:, 0] == 49406).all()
    eot = (ref == 49407).int().argmax(1)
    # the mask keeps everything up to EOT (id 0 is both padding and the token '!')
    assert torch.equal(out['attention_mask'].sum(1), eot + 1)
    if length == 8:  # truncated texts still end in EOT
        assert (ref[:, -1] == 49407).all()
    assert tok.vocab_size == 49408 and tok.pad_token_id == 0 and tok.mask_token_id is None


def test_clip_tokenizer_refuses_other_padding():
    tok = build_tokenizer(dict(type='CLIPTokenizer'))
    with pytest.raises(ValueError, match='max_length'):
        tok(TEXTS, padding='longest')


def test_bert_from_local_vocab_file(tmp_path):
    words = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'red', 'circle', 'moves',
             'up', '!']
    vocab = tmp_path / 'vocab.txt'
    vocab.write_text('\n'.join(words) + '\n')
    tok = build_tokenizer(dict(type='BertTokenizer', vocab_file=str(vocab)))
    out = tok(['A red circle moves up!', 'a blue circle'], padding='max_length',
              truncation=True, max_length=8, return_tensors='pt')
    assert out['input_ids'].tolist() == [[2, 5, 6, 7, 8, 9, 10, 3], [2, 5, 1, 7, 3, 0, 0, 0]]
    assert out['attention_mask'].tolist() == [[1] * 8, [1] * 5 + [0] * 3]
    assert (tok.mask_token_id, tok.pad_token_id, tok.cls_token_id) == (4, 0, 2)
    same = build_tokenizer(dict(type='BertTokenizer', vocab=words))
    assert same('a red circle')['input_ids'] == tok('a red circle')['input_ids']


def test_bert_synthetic_vocabulary_covers_the_captions():
    from mmvideofm.datasets.synthetic import SyntheticWorld, WorldConfig
    tok = build_tokenizer(dict(type='BertTokenizer', vocab='synthetic'))
    assert tok.vocab_size == len(synthetic_vocab())
    world = SyntheticWorld(WorldConfig(num_frames=8, size=32), seed=3)
    caps = [world.sample(i, 'direction').caption for i in range(20)]
    ids = tok(caps, padding='max_length', truncation=True, max_length=32,
              return_tensors='pt')['input_ids']
    assert not (ids == tok.unk_token_id).any()


def test_bert_needs_exactly_one_source():
    with pytest.raises(ValueError, match='exactly one'):
        build_tokenizer(dict(type='BertTokenizer'))
    with pytest.raises(ValueError, match='exactly one'):
        build_tokenizer(dict(type='BertTokenizer', vocab='synthetic', vocab_file='x.txt'))
    with pytest.raises(ValueError, match='needs a type'):
        build_tokenizer(dict(vocab='synthetic'))
    assert {'BertTokenizer', 'CLIPTokenizer', 'SentencePieceTokenizer'} <= set(
        TOKENIZERS.module_dict)


def test_sentencepiece_from_local_model(tmp_path):
    spm = pytest.importorskip('sentencepiece')
    corpus = tmp_path / 'corpus.txt'
    corpus.write_text('\n'.join(TEXTS * 20))
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(tmp_path / 'm'),
                                   vocab_size=40, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=str(tmp_path / 'm.model'))
    tok = build_tokenizer(dict(type='SentencePieceTokenizer',
                               model_file=str(tmp_path / 'm.model')))
    out = tok(TEXTS, max_length=12)
    for text, ids, mask in zip(TEXTS, out['input_ids'], out['attention_mask']):
        ref = [sp.bos_id()] + sp.encode(text) + [sp.eos_id()]
        if len(ref) > 12:  # truncated: EOS stays last
            ref = ref[:11] + [sp.eos_id()]
        n = len(ref)
        assert ids[:n].tolist() == ref and mask.tolist() == [1] * n + [0] * (12 - n)
        assert (ids[n:] == tok.pad_token_id).all()
    assert tok.vocab_size == 40
    plain = build_tokenizer(dict(type='SentencePieceTokenizer', add_bos=False, add_eos=False,
                                 model_file=str(tmp_path / 'm.model')))
    assert plain(TEXTS[:1], max_length=40)['input_ids'][0, :3].tolist() == \
        sp.encode(TEXTS[0])[:3]
