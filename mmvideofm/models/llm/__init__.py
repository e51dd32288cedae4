"""Shared pieces of video-LLM plugins (conversation templates)."""
from .conversation import (  # noqa: F401
    CONVERSATION_TEMPLATES,
    ConversationTemplate,
    get_conversation_template,
    register_conversation_template,
)

__all__ = ['CONVERSATION_TEMPLATES', 'ConversationTemplate', 'get_conversation_template',
           'register_conversation_template']
