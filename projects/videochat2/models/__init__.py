"""VideoChat2 models: the UMT vision encoder, the stage-1 QFormer aligner, the video LLM."""
from .vit import VideoChat2ViT

__all__ = ['VideoChat2ViT']
