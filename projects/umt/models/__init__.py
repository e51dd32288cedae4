from .synthetic_teacher import CosineProbe, SyntheticImageTeacher
from .text_encoder import BertFusionEncoder
from .tokenizer import build_tokenizer, synthetic_vocab
from .umt import UMT, ClipDecoder
from .umt_video_text import UMTVideoText
from .umt_vit import UMTViT

__all__ = ['UMTViT', 'UMT', 'ClipDecoder', 'UMTVideoText', 'BertFusionEncoder',
           'build_tokenizer', 'synthetic_vocab', 'SyntheticImageTeacher', 'CosineProbe']
