from .synthetic_teacher import CosineProbe, SyntheticImageTeacher
from .umt import UMT, ClipDecoder
from .umt_video_text import UMTVideoText
from .umt_vit import UMTViT

__all__ = ['UMTViT', 'UMT', 'ClipDecoder', 'UMTVideoText', 'SyntheticImageTeacher', 'CosineProbe']
