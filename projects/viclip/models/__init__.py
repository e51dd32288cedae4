from .viclip import VICLIP_ARCHS, ViCLIP

__all__ = ['ViCLIP', 'VICLIP_ARCHS']
