"""The video-LLM core: Q-Former, causal-LM wrapper (+ PEFT), conversation templates,
BaseVideoLLM (shared by VideoChat, VideoChat2, VideoLLM and InternChat)."""
from .base import AnswerText, BaseVideoLLM  # noqa: F401
from .causal_lm import (  # noqa: F401
    IGNORE_INDEX,
    CausalLM,
    LlamaSentencePieceTokenizer,
    StopOnTokenSequences,
    build_llm_tokenizer,
    stop_token_ids,
)
from .conversation import (  # noqa: F401
    CONVERSATION_TEMPLATES,
    MVBENCH_PROMPT,
    Conversation,
    ConversationTemplate,
    MultipleChoicePrompt,
    frame_seconds,
    frame_time_message,
    get_conversation_template,
    register_conversation_template,
)
from .peft import apply_peft, build_peft_config, set_tuning, upgrade_peft_keys  # noqa: F401
from .qformer import QFormer, QFormerLayer, qformer_attention_mask  # noqa: F401

__all__ = ['BaseVideoLLM', 'AnswerText', 'CONVERSATION_TEMPLATES', 'ConversationTemplate', 'get_conversation_template',
           'register_conversation_template', 'QFormer', 'QFormerLayer',
           'qformer_attention_mask', 'CausalLM', 'LlamaSentencePieceTokenizer',
           'StopOnTokenSequences', 'build_llm_tokenizer', 'stop_token_ids',
           'IGNORE_INDEX', 'apply_peft', 'build_peft_config', 'set_tuning', 'upgrade_peft_keys',
           'Conversation', 'MultipleChoicePrompt', 'MVBENCH_PROMPT', 'frame_seconds',
           'frame_time_message']
