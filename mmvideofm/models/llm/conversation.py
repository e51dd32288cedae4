"""Conversation templates of video LLMs, as data: one source for training, chat and MVBench.

A :class:`ConversationTemplate` says how a conversation is written out for the LLM:

- **chat / evaluation** (:meth:`~ConversationTemplate.prompt`, :class:`Conversation`): the
  official notebooks' ``get_prompt`` / ``get_prompt2`` -- system, finished turns
  ``role + role_sep + message + turn_sep``, then the open assistant turn (its role alone, or
  ``role + role_sep + answer_prefill``); the visual embeddings are spliced at the placeholder.
- **stage-3 training** (:meth:`~ConversationTemplate.training_conversation`): the official
  ``process_qa`` of ``dataset/it_dataset*.py`` -- ``[system][i + ' ']`` then the media turn
  ``<Video></Video>`` with the frame-time message, the QA turns and the tail; plus the
  QFormer instruction.
- **which tokens are supervised** (:meth:`~ConversationTemplate.supervised_mask`): the
  official label rule of the model's ``forward`` (token lengths of separately tokenised
  pieces, so the tokenizer decides), ``'vicuna'`` or ``'mistral'``.
- **stage-2 captioning** (:meth:`~ConversationTemplate.caption_prompt`): the prompt template
  around a random concise-description prompt (:data:`VIDEO_CAPTION_PROMPTS`) and the end symbol.

Named templates live in :data:`CONVERSATION_TEMPLATES` (``'vicuna_v0'``: VideoChat2-Vicuna,
``'mistral_inst'``: VideoChat2-Mistral, ``'videochat'``: VideoChat v1); the multiple-choice
pieces of the MVBench evaluation are :class:`MultipleChoicePrompt` (``MVBENCH_PROMPT``).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ['ConversationTemplate', 'Conversation', 'CONVERSATION_TEMPLATES',
           'register_conversation_template', 'get_conversation_template', 'frame_time_message',
           'frame_seconds',
           'MultipleChoicePrompt', 'MVBENCH_PROMPT', 'MVBENCH_SYSTEM', 'option_letter',
           'VIDEO_CAPTION_PROMPTS', 'IMAGE_CAPTION_PROMPTS', 'LABEL_RULES']

MEDIA = ('video', 'image')
LABEL_RULES = ('vicuna', 'mistral', 'prefix')

#: the official stage-2 prompts (``prompts/concise_description.txt``), after the video tokens
VIDEO_CAPTION_PROMPTS = (
    'Describe the following video concisely.',
    'Provide a brief description of the given video clip.',
    'Offer a succinct explanation of the footage presented.',
    'Summarize the visual content of the following video.',
    'Give a short and clear explanation of the subsequent video clip.',
    'Share a concise interpretation of the video provided.',
    "Present a compact description of the clip's key features.",
    'Relay a brief, clear account of the video shown.',
    'Render a clear and concise summary of the video below.',
    'Write a terse but informative summary of the following video clip.',
    'Create a compact narrative representing the video presented.',
)
#: the official stage-2 image prompts (``prompts/concise_image_description.txt``, first five)
IMAGE_CAPTION_PROMPTS = (
    'Describe the following image concisely.',
    'Provide a brief description of the given image.',
    'Offer a succinct explanation of the picture presented.',
    'Summarize the visual content of the following image.',
    'Give a short and clear explanation of the subsequent image.',
)


def frame_seconds(frame_indices: Sequence[int], fps: float) -> list[str]:
    """Times of sampled frames as upstream writes them: ``str(round(index / fps, 1))``."""
    if fps is None or fps <= 0:
        raise ValueError(f'frame times need a positive fps, got {fps!r}')
    return [str(round(int(f) / float(fps), 1)) for f in frame_indices]


def frame_time_message(secs: Sequence[str]) -> str:
    """The official frame-time message (``add_second_msg``), leading and trailing space
    included: ``' The video contains N frames sampled at t1, ..., tN seconds. '``
    (``secs`` from :func:`frame_seconds`)."""
    return f' The video contains {len(secs)} frames sampled at {", ".join(secs)} seconds. '


@dataclass(frozen=True)
class ConversationTemplate:
    """How a video conversation is written out; defaults = VideoChat2's Vicuna ``###``.

    Chat / evaluation (official ``get_prompt``):

    Args:
        roles: user and assistant role names.
        sep: written after the system text (and after every finished turn unless ``turn_sep``).
        role_sep: between a role and its message.
        video_message: the user message that carries the video (``{msg}``: the frame-time
            message, stripped, as VideoChat v1's chat writes it).
        video_placeholder: where visual embeddings are spliced into the token stream.
        user_suffix: appended to a question message (the official ``ask``).
        video_turn_separate: the video in its own user turn, or merged with the first question.
        system: default system text (a task may pass its own).
        turn_sep: written after every finished turn (None: ``sep``; Mistral: ``' '``).
        image_message / image_placeholder: the same for an image.
        stop_strings: generation stops when the output ends with one of these (tokenise them
            with the model's tokenizer: never hard-code ids).

    Training (official ``process_qa``):

    Args:
        video_tokens / image_tokens: ``(start, end)`` tokens of the media turn; training
            conversations are split at the end token (visual embeddings go before it).
        train_user / train_assistant: ``(prefix, suffix)`` around each user / assistant message.
        train_join: between consecutive messages.
        train_tail: after the last message.
        train_strip: strip the whole conversation (Mistral).
        train_lead_sep: between the first QA's ``i`` and the first user turn (official: ``' '``).
        use_instruction: the first QA's ``i`` leads the conversation (``i + ' '``) and feeds the
            QFormer (VideoChat2); False: ``i`` is ignored (VideoChat v1).
        instruction_with_question: the QFormer instruction is ``i + ' ' + q`` of the first QA
            (Vicuna) or ``i`` alone (Mistral's default ``return_question_instruction=False``).
        skip_empty_question: no user turn for ``q == ''`` (captions; VideoChat2), or an empty
            one (VideoChat v1).
        label_rule: which tokens of the text after the media are supervised: ``'vicuna'``,
            ``'mistral'`` or ``'prefix'`` (see :meth:`supervised_mask`).
        caption_template: stage-2 prompt around ``<Video><VideoHere></Video> {prompt}``.
        caption_end: appended to a stage-2 caption target.
    """

    roles: tuple[str, str] = ('Human', 'Assistant')
    sep: str = '###'
    role_sep: str = ': '
    video_message: str = '<Video><VideoHere></Video>\n'
    video_placeholder: str = '<VideoHere>'
    user_suffix: str = '\n'
    video_turn_separate: bool = True
    system: str = ''
    turn_sep: str | None = None
    image_message: str = '<Image><ImageHere></Image>\n'
    image_placeholder: str = '<ImageHere>'
    stop_strings: tuple[str, ...] = ('###',)
    video_tokens: tuple[str, str] = ('<Video>', '</Video>')
    image_tokens: tuple[str, str] = ('<Image>', '</Image>')
    train_user: tuple[str, str] = ('###Human: ', ' ')
    train_assistant: tuple[str, str] = ('###Assistant: ', ' ')
    train_join: str = ''
    train_tail: str = '###'
    train_strip: bool = False
    train_lead_sep: str = ' '
    use_instruction: bool = True
    instruction_with_question: bool = True
    skip_empty_question: bool = True
    label_rule: str = 'vicuna'
    caption_template: str = '###Human: {} ###Assistant: '
    caption_end: str = '###'

    def __post_init__(self) -> None:
        for name in ('roles', 'stop_strings', 'video_tokens', 'image_tokens', 'train_user',
                     'train_assistant'):  # lists from config files
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.label_rule not in LABEL_RULES:
            raise ValueError(f'label_rule must be one of {LABEL_RULES}, got {self.label_rule!r}')

    # ------------------------------------------------------------------ chat / evaluation
    @property
    def end_of_turn(self) -> str:
        """What follows a finished turn (``turn_sep``, else ``sep``)."""
        return self.sep if self.turn_sep is None else self.turn_sep

    def new(self, system: str | None = None) -> Conversation:
        """An empty chat with this layout (``system`` None: the template's)."""
        return Conversation(self, self.system if system is None else system)

    def prompt(self, question: str, system: str | None = None,
               answer_prefill: str | None = None, media: str = 'video') -> str:
        """System, the media and question user turn(s), and the open assistant turn
        (``answer_prefill`` written after its role; none: the role alone)."""
        conv = self.new(system)
        conv.add_media(media)
        conv.ask(question)
        return conv.get_prompt(answer_prefill)

    def placeholder(self, media: str = 'video') -> str:
        """The splice placeholder of ``media`` ('video' or 'image')."""
        return self.video_placeholder if _check_media(media) == 'video' else self.image_placeholder

    def split_at_video(self, text: str, media: str = 'video') -> list[tuple[str, bool]]:
        """``(segment, add_bos)`` pieces around each placeholder; BOS on the first only."""
        return [(part, i == 0) for i, part in enumerate(text.split(self.placeholder(media)))]

    # ------------------------------------------------------------------ training (stage 3)
    def media_tokens(self, media: str = 'video') -> tuple[str, str]:
        """``(start, end)`` tokens of the media turn in training conversations."""
        return self.video_tokens if _check_media(media) == 'video' else self.image_tokens

    def training_conversation(self, qa: Sequence[dict], msg: str = '', media: str = 'video',
                              system: str = '') -> tuple[str, str]:
        """The official stage-3 ``(conversation, qformer_instruction)`` of one sample.

        ``qa`` is the (already ordered) list of ``{'i', 'q', 'a'}`` of the annotation; ``msg``
        the frame-time message (:func:`frame_time_message`, ``''`` for images); ``system``
        must end with a space (so the separator after it stays one token, as upstream asserts).
        """
        if not qa:
            raise ValueError('a training conversation needs at least one QA pair, got none')
        if system and not system.endswith(' '):
            raise ValueError(f'the training system text must end with a space (so the '
                             f'separator after it is tokenised alone), got {system!r}')
        first_i = qa[0].get('i', '') if self.use_instruction else ''
        lead = first_i + self.train_lead_sep if first_i else ''
        start, end = self.media_tokens(media)
        user, assistant = self.train_user, self.train_assistant
        parts = [user[0] + start + end + msg.rstrip() + user[1]]
        for k, turn in enumerate(qa):
            if 'a' not in turn or 'q' not in turn:
                raise KeyError(f"QA pair {k} needs 'q' and 'a' (and optionally 'i'), got "
                               f'{sorted(turn)}')
            if turn['q'] != '' or not self.skip_empty_question:
                parts.append(user[0] + turn['q'] + user[1])
            parts.append(assistant[0] + turn['a'] + assistant[1])
        text = system + lead + self.train_join.join(parts) + self.train_tail
        if self.train_strip:
            text = text.strip()
        instruction = ''
        if lead:
            instruction = (lead + qa[0]['q'] if self.instruction_with_question else lead).strip()
        return text, instruction

    def split_for_training(self, conversation: str, media: str = 'video') -> tuple[str, str]:
        """``(p_before, p_after)``: the text before the media end token and the rest (end token
        included); the visual embeddings go between them."""
        end = self.media_tokens(media)[1]
        n = conversation.count(end)
        if n != 1:
            other = self.media_tokens('image' if media == 'video' else 'video')[1]
            hint = (f' (it has {other!r}: an {"image" if media == "video" else "video"} '
                    f'conversation given as {media})' if other in conversation else '')
            raise ValueError(f'a training conversation needs exactly one {end!r} (the {media} '
                             f'placeholder), found {n}{hint}: {conversation[:120]!r}')
        before, after = conversation.split(end)
        return before, end + after

    def supervised_mask(self, p_after: str, tokenize: Callable[[str], Sequence[int]]
                        ) -> list[bool]:
        """Which tokens of ``tokenize(p_after)`` are supervised, by the official rule.

        ``tokenize(text)`` must return the ids without special tokens. Lengths of
        separately tokenised, ``rstrip``-ed pieces decide the spans, as upstream does.
        ``'vicuna'``: answers, the ``###Assistant:`` headers and the ``###Human:`` that follows an
        answer (and the first one after the frame-time message) are supervised, questions
        and the media turn are not; the final ``###`` is supervised (how the model learns
        to stop). ``'mistral'``: only ``answer </s>`` spans are supervised. ``'prefix'`` (not
        upstream): each answer and the ``sep`` after it, located by tokenising the text up to
        its ends (for tokenizers that merge across separators, e.g. the synthetic
        SentencePiece's ``'\n###'``, where the official arithmetic does not add up).
        """
        def n_tok(text: str) -> int:
            return len(tokenize(text))

        if self.label_rule == 'prefix':
            return self._prefix_mask(p_after, n_tok)

        total = n_tok(p_after)
        sup = [True] * total
        user_sep = self.train_user[0]
        asst_sep = self.train_assistant[0] if self.label_rule == 'vicuna' else \
            self.train_user[1] + self.train_join
        chunks = p_after.split(asst_sep)
        if self.label_rule == 'vicuna':  # the separator opens the next chunk
            chunks = chunks[:1] + [asst_sep + c for c in chunks[1:]]
            head = chunks[0].split(user_sep)[0]
            head_len, sep_len = n_tok(head.rstrip()), n_tok(user_sep.rstrip())
            cur = n_tok(chunks[0].rstrip())
            _mask(sup, 0, head_len)
            _mask(sup, head_len + sep_len, cur)
        else:  # the separator closes the previous chunk
            chunks = [c + asst_sep for c in chunks[:-1]] + chunks[-1:]
            cur = n_tok(chunks[0].rstrip())
            _mask(sup, 0, cur)
        for chunk in chunks[1:-1]:
            length = n_tok(chunk.rstrip())
            kept = chunk.split(user_sep)[0] + (user_sep if self.label_rule == 'vicuna' else '')
            _mask(sup, cur + n_tok(kept.rstrip()), cur + length)
            cur += length
        if len(chunks) > 1:
            cur += n_tok(chunks[-1].rstrip())
        if cur != total:
            raise ValueError(f'the supervised spans cover {cur} tokens but the text has {total}: '
                             f'the tokenizer splits this conversation across its separators '
                             f'(upstream asserts the same): {p_after[:120]!r}')
        return sup

    def _prefix_mask(self, text: str, n_tok: Callable[[str], int]) -> list[bool]:
        """``label_rule='prefix'``: answers (after ``train_assistant[0]``) through the next
        ``sep``, as token spans ``[n_tok(text[:start].rstrip()), n_tok(text[:end]))``."""
        if not self.sep:
            raise ValueError("label_rule='prefix' needs a template with a sep (e.g. '###')")
        head = self.train_assistant[0]
        sup = [False] * n_tok(text)
        pos = text.find(head)
        while pos >= 0:
            start = pos + len(head)
            end = text.find(self.sep, start)
            end = len(text) if end < 0 else end + len(self.sep)
            for k in range(n_tok(text[:start].rstrip()), min(n_tok(text[:end]), len(sup))):
                sup[k] = True
            pos = text.find(head, end)
        return sup

    # ------------------------------------------------------------------ stage 2 (captions)
    def caption_prompt(self, prompt: str, media: str = 'video') -> str:
        """The stage-2 prompt around ``prompt`` (e.g. one of :data:`VIDEO_CAPTION_PROMPTS`):
        ``'###Human: <Video><VideoHere></Video> prompt ###Assistant: '`` for Vicuna."""
        start, end = self.media_tokens(media)
        return self.caption_template.format(f'{start}{self.placeholder(media)}{end} {prompt}')

    def caption_target(self, caption: str) -> str:
        """The stage-2 target: the caption and the end symbol."""
        return caption + self.caption_end


def _mask(sup: list[bool], start: int, stop: int) -> None:
    for k in range(max(start, 0), min(stop, len(sup))):
        sup[k] = False


def _check_media(media: str) -> str:
    if media not in MEDIA:
        raise ValueError(f"media must be 'video' or 'image', got {media!r}")
    return media


@dataclass
class Conversation:
    """A chat in progress: the official ``conv`` (system + ``[role, message]`` list).

    ``add_media`` -> ``ask`` -> ``get_prompt`` (the open assistant turn is added there) ->
    ``answer(text)`` records the reply; repeat ``ask`` for more turns.
    """

    template: ConversationTemplate
    system: str = ''
    messages: list[list] = field(default_factory=list)

    def add_media(self, media: str = 'video', msg: str = '') -> Conversation:
        """The user turn that carries the video / image (``msg``: frame-time message)."""
        t = self.template
        text = t.video_message if _check_media(media) == 'video' else t.image_message
        if '{msg}' in text:
            text = text.format(msg=msg.strip())
        self.messages.append([t.roles[0], text])
        return self

    def ask(self, text: str) -> Conversation:
        """A user question (merged into the media turn when ``video_turn_separate`` is off)."""
        t = self.template
        text = text + t.user_suffix
        last = self.messages[-1] if self.messages else None
        media_turn = last is not None and last[0] == t.roles[0] and (
            t.video_placeholder in last[1] or t.image_placeholder in last[1])
        if not t.video_turn_separate and media_turn:
            last[1] += text
        else:
            self.messages.append([t.roles[0], text])
        return self

    def answer(self, text: str) -> Conversation:
        """Record the assistant's reply (fills the open turn, or appends one)."""
        t = self.template
        if self.messages and self.messages[-1][0] == t.roles[1] and self.messages[-1][1] is None:
            self.messages[-1][1] = text
        else:
            self.messages.append([t.roles[1], text])
        return self

    def get_prompt(self, answer_prefill: str | None = None) -> str:
        """The text the LLM continues: finished turns and the open assistant turn."""
        t = self.template
        if not self.messages or self.messages[-1][0] != t.roles[1] or \
                self.messages[-1][1] is not None:
            self.messages.append([t.roles[1], None])
        text = self.system + t.sep
        for role, msg in self.messages[:-1]:
            text += role + t.role_sep + msg + t.end_of_turn
        role = self.messages[-1][0]
        if answer_prefill:
            return text + role + t.role_sep + answer_prefill
        return text + role + t.role_sep.rstrip()

    def segments(self, answer_prefill: str | None = None, media: str = 'video'
                 ) -> list[tuple[str, bool]]:
        """:meth:`get_prompt` split at the placeholders (``(text, add_bos)``)."""
        return self.template.split_at_video(self.get_prompt(answer_prefill), media)


#: named templates. 'vicuna_v0': VideoChat2-Vicuna (``SYS###Human: ...###Assistant:``);
#: 'mistral_inst': VideoChat2-Mistral (demo notebook: ``[INST] <Video><VideoHere></Video>
#: [/INST] [INST] q [/INST]``; training ``[INST] <Video></Video> msg [/INST] [INST] q [/INST]
#: a </s>``); 'videochat': VideoChat v1 (frame-time message in the chat's video turn, no
#: instruction, empty questions kept in training; as upstream, an empty question's double space
#: breaks the label rule's length arithmetic, so give v1 data questions); 'vicuna_v0_eval': not
#: upstream, the synthetic recipe's stage 3 (a model trained from scratch only answers prompts
#: it has seen): training conversations written in the MVBench evaluation layout
#: (``i\n###Human: <Video></Video>\n###Human: q\n###Assistant: a\n###``, the Q-Former reads
#: ``i`` alone), so rows with ``i`` = the system and ``q`` = system + options block are
#: byte-identical to the evaluation prompt up to ``Best option:(`` (use without the frame-time
#: message: the evaluation has none).
CONVERSATION_TEMPLATES: dict[str, ConversationTemplate] = {
    'vicuna_v0': ConversationTemplate(),
    'mistral_inst': ConversationTemplate(
        roles=('[INST]', '[/INST]'), sep='', turn_sep=' ', role_sep=' ',
        video_message='<Video><VideoHere></Video> [/INST]',
        image_message='<Image><ImageHere></Image> [/INST]', user_suffix='',
        stop_strings=('</s>',), train_user=('[INST] ', ' [/INST]'), train_assistant=('', ' </s>'),
        train_join=' ', train_tail='', train_strip=True, instruction_with_question=False,
        label_rule='mistral', caption_template='[INST] {} [/INST]', caption_end='</s>'),
    'videochat': ConversationTemplate(
        video_message='<Video><VideoHere></Video> {msg}\n', use_instruction=False,
        skip_empty_question=False),
    'vicuna_v0_eval': ConversationTemplate(
        train_user=('###Human: ', '\n'), train_assistant=('###Assistant: ', '\n'),
        train_lead_sep='\n', instruction_with_question=False, label_rule='prefix'),
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


def get_conversation_template(name: str | dict | ConversationTemplate) -> ConversationTemplate:
    """The registered template ``name`` (a dict: ``base`` name + field overrides; a template:
    itself); KeyError listing the known ones otherwise."""
    if isinstance(name, ConversationTemplate):
        return name
    if isinstance(name, dict):
        cfg = dict(name)
        base = get_conversation_template(cfg.pop('base', 'vicuna_v0'))
        return ConversationTemplate(**{**base.__dict__, **cfg})
    if name not in CONVERSATION_TEMPLATES:
        raise KeyError(f'unknown conversation template {name!r}; known: '
                       f'{sorted(CONVERSATION_TEMPLATES)}')
    return CONVERSATION_TEMPLATES[name]


# ---------------------------------------------------------------------- multiple choice
MVBENCH_SYSTEM = ('Carefully watch the video and pay attention to the cause and sequence of '
                  'events, the detail and movement of objects, and the action and pose of '
                  'persons. Based on your observations, select the best option that accurately '
                  'addresses the question.\n')


def option_letter(idx: int) -> str:
    """``0 -> 'A'``; ``-1 -> '@'`` (the official letter of an answer not among candidates)."""
    return chr(ord('A') + idx)


@dataclass(frozen=True)
class MultipleChoicePrompt:
    """The pieces of a multiple-choice question (defaults: the official MVBench evaluation).

    Args:
        system: system text (also the QFormer instruction at evaluation).
        question_prompt: appended to the question/options block.
        answer_prompt: prefill of the assistant turn at evaluation.
        return_prompt: re-added in front of the generated text before scoring.
        system_llm: the system text also starts the question turn (official: True).
        system_q: the options block also goes to the QFormer instruction (official: False).
    """

    system: str = MVBENCH_SYSTEM
    question_prompt: str = '\nOnly give the best option.'
    answer_prompt: str = 'Best option:('
    return_prompt: str = '('
    system_llm: bool = True
    system_q: bool = False

    def build(self, template: ConversationTemplate, question: str, candidates: Sequence[str]
              ) -> tuple[str, str]:
        """``(LLM prompt, QFormer instruction)`` of the official evaluation (``infer_mvbench``):
        system, the video turn, ``[system +] options block + question_prompt``, the prefill."""
        block = self.options_block(question, candidates)
        asked = (self.system if self.system_llm else '') + block + self.question_prompt
        prompt = template.prompt(asked, system=self.system, answer_prefill=self.answer_prompt)
        return prompt, self.system + (block if self.system_q else '')

    @staticmethod
    def options_block(question: str, candidates: Sequence[str]) -> str:
        """``'Question: q\\nOptions:\\n(A) c0\\n(B) c1...'`` (right-stripped, as upstream)."""
        opts = ''.join(f'\n({option_letter(k)}) {c}' for k, c in enumerate(candidates))
        return f'Question: {question}\nOptions:{opts}'.rstrip()

    @staticmethod
    def answer_option(candidates: Sequence[str], answer: str) -> str:
        """``'(X) answer'``: X is the letter of the last candidate equal to ``answer``."""
        idx = max((k for k, c in enumerate(candidates) if c == answer), default=-1)
        return f'({option_letter(idx)}) {answer}'

    def question(self, question: str, candidates: Sequence[str]) -> str:
        """The user question: options block + ``question_prompt``."""
        return self.options_block(question, candidates) + self.question_prompt

    def training_answer(self, candidates: Sequence[str], answer: str) -> str:
        """An assistant answer that the evaluation prefill continues: ``answer_prompt`` with the
        ``return_prompt`` it shares removed, then ``'(X) answer'`` (``'Best option:(A) x'``)."""
        prefix = self.answer_prompt
        if self.return_prompt and prefix.endswith(self.return_prompt):
            prefix = prefix[:-len(self.return_prompt)]
        return prefix + self.answer_option(candidates, answer)


MVBENCH_PROMPT = MultipleChoicePrompt()
