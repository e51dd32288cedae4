"""VideoChat2 models: the UMT vision encoder, the stage-1 Q-Former aligner, the video LLM."""
from .losses import VideoChat2VTMLoss
from .stage1 import VideoChat2QFormer
from .videochat2 import VideoChat2
from .vit import VideoChat2ViT

__all__ = ['VideoChat2ViT', 'VideoChat2QFormer', 'VideoChat2VTMLoss', 'VideoChat2']
