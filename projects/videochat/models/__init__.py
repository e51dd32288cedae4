"""VideoChat-Embed models: the EVA ViT-g with Global MHRA and the video LLM."""
from .eva_vit import GlobalMHRA, VideoChatEVAViT
from .videochat import LLMSizeMismatchError, VideoChat

__all__ = ['GlobalMHRA', 'VideoChatEVAViT', 'VideoChat', 'LLMSizeMismatchError']
