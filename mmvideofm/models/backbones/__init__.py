from .video_vit import VideoViT

__all__ = ['VideoViT']
from .clip_visual import CLIPVideoViT, CLIPVisual  # noqa: F401,E402
