"""Conversation templates of video LLMs, as data.

A :class:`ConversationTemplate` says how a chat is written out for the LLM: roles,
separators, the user turn that carries the video and where visual embeddings are spliced.
Named templates live in :data:`CONVERSATION_TEMPLATES`; task prompts (e.g. MVBench's
instruction and answer prefill) are composed on top by the plugins.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ['ConversationTemplate', 'CONVERSATION_TEMPLATES', 'register_conversation_template',
           'get_conversation_template']


@dataclass(frozen=True)
class ConversationTemplate:
    """How a (video, question) chat is written out; defaults = VideoChat2's Vicuna ``###``.

    Args:
        roles: user and assistant role names.
        sep: written after the system text and after every finished turn.
        role_sep: between a role and its message.
        video_message: the user message that carries the video.
        video_placeholder: where visual embeddings are spliced into the token stream.
        user_suffix: appended to the question message (the official ``ask``).
        video_turn_separate: the video in its own user turn, or merged with the question.
        system: default system text (a task may pass its own).
    """

    roles: tuple[str, str] = ('Human', 'Assistant')
    sep: str = '###'
    role_sep: str = ': '
    video_message: str = '<Video><VideoHere></Video>\n'
    video_placeholder: str = '<VideoHere>'
    user_suffix: str = '\n'
    video_turn_separate: bool = True
    system: str = ''

    def prompt(self, question: str, system: str | None = None,
               answer_prefill: str | None = None) -> str:
        """System, the video and question user turn(s), and the open assistant turn
        (``answer_prefill`` written after its role; none: the role alone)."""
        human, assistant = self.roles
        user_q = question + self.user_suffix
        if self.video_turn_separate:
            turns = [(human, self.video_message), (human, user_q)]
        else:
            turns = [(human, self.video_message + user_q)]
        text = (self.system if system is None else system) + self.sep
        for role, msg in turns:
            text += role + self.role_sep + msg + self.sep
        if answer_prefill:
            return text + assistant + self.role_sep + answer_prefill
        return text + assistant + self.role_sep.rstrip()

    def split_at_video(self, text: str) -> list[tuple[str, bool]]:
        """``(segment, add_bos)`` pieces around each video placeholder; BOS on the first only."""
        return [(part, i == 0) for i, part in enumerate(text.split(self.video_placeholder))]


#: named templates. 'vicuna_v0': VideoChat2-Vicuna (``SYS###Human: ...###Assistant:``);
#: 'mistral_inst': VideoChat2-Mistral's ``[INST] ... [/INST]`` (no separator, merged turn).
CONVERSATION_TEMPLATES: dict[str, ConversationTemplate] = {
    'vicuna_v0': ConversationTemplate(),
    'mistral_inst': ConversationTemplate(
        roles=('[INST]', '[/INST]'), sep='', role_sep=' ',
        video_message='<Video><VideoHere></Video> ', user_suffix=' ',
        video_turn_separate=False),
}


def register_conversation_template(name: str, template: ConversationTemplate,
                                   force: bool = False) -> ConversationTemplate:
    """Add a named template (plugins call this on import)."""
    if not isinstance(template, ConversationTemplate):
        raise TypeError(f'expected a ConversationTemplate for {name!r}, got {type(template)}')
    old = CONVERSATION_TEMPLATES.get(name)
    if old is not None and old != template and not force:
        raise KeyError(f'conversation template {name!r} is already registered differently; '
                       f'pick another name or pass force=True')
    CONVERSATION_TEMPLATES[name] = template
    return template


def get_conversation_template(name: str) -> ConversationTemplate:
    """The registered template ``name``; KeyError listing the known ones otherwise."""
    if name not in CONVERSATION_TEMPLATES:
        raise KeyError(f'unknown conversation template {name!r}; known: '
                       f'{sorted(CONVERSATION_TEMPLATES)}')
    return CONVERSATION_TEMPLATES[name]
