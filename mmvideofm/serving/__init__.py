"""Chat front ends for every registered video-LLM: upload validation (:mod:`.uploads`), the
Gradio web UI (:mod:`.webui`) and the OpenAI-compatible server (:mod:`.server`).

Only :mod:`.uploads` is imported here; the UI and the server import gradio / FastAPI, so import
them explicitly (``from mmvideofm.serving.server import create_app``).
"""
from .uploads import (
    IMAGE_EXTENSIONS,
    VIDEO_EXTENSIONS,
    StoredMedia,
    UploadError,
    UploadPolicy,
    UploadStore,
)

__all__ = ['UploadError', 'UploadPolicy', 'UploadStore', 'StoredMedia', 'VIDEO_EXTENSIONS',
           'IMAGE_EXTENSIONS']
