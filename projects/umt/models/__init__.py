from .umt import UMT, ClipDecoder
from .umt_vit import UMTViT

__all__ = ['UMTViT', 'UMT', 'ClipDecoder']
