"""The video-LLM core: Q-Former, causal-LM wrapper (+ PEFT), conversation templates,
BaseVideoLLM (shared by VideoChat, VideoChat2, VideoLLM and InternChat)."""
from .conversation import (  # noqa: F401
    CONVERSATION_TEMPLATES,
    ConversationTemplate,
    get_conversation_template,
    register_conversation_template,
)
from .qformer import QFormer, QFormerLayer, qformer_attention_mask  # noqa: F401

__all__ = ['CONVERSATION_TEMPLATES', 'ConversationTemplate', 'get_conversation_template',
           'register_conversation_template', 'QFormer', 'QFormerLayer',
           'qformer_attention_mask']
