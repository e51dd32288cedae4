"""Harvest's models: video tower, text tower with mask embedding, fusion decoder, algorithm."""
from .fusion_decoder import HarvestFusionDecoder  # noqa: F401
from .harvest import Harvest, mask_text_ids  # noqa: F401
from .text import HarvestCLIPText  # noqa: F401
from .video_vit import Extractor, HarvestViT  # noqa: F401

__all__ = ['Harvest', 'HarvestCLIPText', 'HarvestFusionDecoder', 'HarvestViT', 'Extractor',
           'mask_text_ids']
