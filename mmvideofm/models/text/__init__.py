"""Text towers and tokenizers of the video-text models (UMT stage 2, ViCLIP, Harvest,
VideoChat2 stage 1). Every text tower offers ``forward_text(input_ids, attention_mask)`` ->
tokens ``(B, L, D)``, ``pool(tokens, input_ids)`` -> sentence feature and ``pooled_dim``."""
from .bert_fusion import BertFusionEncoder, BertFusionLayer, extended_attention_mask
from .clip_text import CLIPTextTransformer
from .tokenizers import (
    BertTokenizer,
    CLIPTokenizer,
    SentencePieceTokenizer,
    build_tokenizer,
    synthetic_vocab,
)

__all__ = ['BertFusionEncoder', 'BertFusionLayer', 'extended_attention_mask',
           'CLIPTextTransformer', 'BertTokenizer', 'CLIPTokenizer', 'SentencePieceTokenizer',
           'build_tokenizer', 'synthetic_vocab']
