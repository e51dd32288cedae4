"""MVBench prompt construction, byte-for-byte with the official VideoChat2 evaluation.

The chat layout (roles, separators, video turn) is a core
:class:`~mmvideofm.models.llm.ConversationTemplate`; this module adds what is MVBench's:
the instruction text, the question/options block, the ``Best option:(`` prefill and the
QFormer instruction. The default is the Vicuna ``###`` evaluation cell (``system_llm=True``,
``system_q=False``); other styles (e.g. Mistral's ``[INST]``) are one config dict away
(``template=dict(style='mistral_inst')`` or any field override).
"""
from dataclasses import asdict, dataclass, field, fields, replace

from mmvideofm.models.llm.conversation import (
    MVBENCH_SYSTEM,
    ConversationTemplate,
    MultipleChoicePrompt,
    get_conversation_template,
    option_letter,
)

__all__ = [
    'SYSTEM', 'PromptTemplate', 'MVBenchPrompt', 'qa_template', 'option_letter',
    'build_template', 'TEMPLATE_PRESETS',
]

SYSTEM = MVBENCH_SYSTEM  # the official evaluation system text (one source: the core)


def qa_template(question: str, candidates: list[str], answer: str) -> tuple[str, str]:
    """Official ``qa_template``: the question/option block and the ``"(X) answer"`` string.

    The letter is that of the *last* candidate equal to ``answer`` ('@' if none); the
    block is ``rstrip``-ed, so trailing spaces of the last candidate disappear.
    """
    return (MultipleChoicePrompt.options_block(question, candidates),
            MultipleChoicePrompt.answer_option(candidates, answer))


@dataclass
class MVBenchPrompt:
    """Everything a model needs to answer one MVBench item."""

    text: str  # full LLM prompt, with the video placeholder
    segments: list[tuple[str, bool]]  # (text, add_special_tokens) split at the placeholder
    qformer_instruction: str  # text given to an instruction-aware QFormer
    question_block: str  # "Question: ...\nOptions:\n(A) ..."
    question: str
    candidates: list[str]
    answer_prompt: str | None  # prefill of the assistant turn
    return_prompt: str  # re-added in front of the generation before scoring
    meta: dict = field(default_factory=dict)  # the data sample (oracle / debugging only)

    @property
    def letters(self) -> list[str]:
        return [option_letter(i) for i in range(len(self.candidates))]


@dataclass
class PromptTemplate:
    """MVBench prompt = a conversation template + MVBench's instruction and answer prefill
    (defaults = official Vicuna evaluation settings)."""

    conversation: ConversationTemplate = field(
        default_factory=lambda: get_conversation_template('vicuna_v0'))
    system: str = SYSTEM
    question_prompt: str = '\nOnly give the best option.'
    answer_prompt: str | None = 'Best option:('
    return_prompt: str = '('
    system_llm: bool = True  # repeat the system text at the start of the question turn
    system_q: bool = False  # add the question block to the QFormer instruction

    @property
    def roles(self) -> tuple[str, str]:
        return self.conversation.roles

    @property
    def sep(self) -> str:
        return self.conversation.sep

    def build(self, question: str, candidates: list[str], meta: dict | None = None
              ) -> MVBenchPrompt:
        block, _ = qa_template(question, candidates, '')
        user_q = (self.system if self.system_llm else '') + block + self.question_prompt
        text = self.conversation.prompt(user_q, system=self.system,
                                        answer_prefill=self.answer_prompt)
        qformer = self.system + (block if self.system_q else '')
        return MVBenchPrompt(text=text, segments=self.conversation.split_at_video(text),
                             qformer_instruction=qformer, question_block=block,
                             question=question, candidates=list(candidates),
                             answer_prompt=self.answer_prompt,
                             return_prompt=self.return_prompt, meta=dict(meta or {}))

    def to_dict(self) -> dict:
        return asdict(self)


# Presets. 'vicuna' is the parity-checked official evaluation. 'mistral_inst' follows the
# ``[INST]`` conversation of VideoChat2-Mistral's demo notebook (no system text,
# 'Best Option:(' prefill); it is NOT covered by the parity fixtures.
TEMPLATE_PRESETS: dict[str, dict] = {
    'vicuna': dict(conversation='vicuna_v0'),
    'mistral_inst': dict(conversation='mistral_inst', system='', answer_prompt='Best Option:('),
}
_CONVERSATION_FIELDS = {f.name for f in fields(ConversationTemplate)} - {'system'}


def build_template(cfg: dict | PromptTemplate | None = None) -> PromptTemplate:
    """``None`` | ``dict(style='vicuna'|'mistral_inst', **overrides)`` | a template.

    Overrides may be MVBench fields (``system``, ``answer_prompt``, ...), a
    ``conversation`` (registered name or :class:`ConversationTemplate`) or single
    conversation fields (``roles``, ``sep``, ...).
    """
    if isinstance(cfg, PromptTemplate):
        return cfg
    cfg = dict(cfg or {})
    preset = cfg.pop('style', 'vicuna')
    if preset not in TEMPLATE_PRESETS:
        raise KeyError(f'unknown prompt template {preset!r}; known: {sorted(TEMPLATE_PRESETS)}')
    cfg = {**TEMPLATE_PRESETS[preset], **cfg}
    conv = cfg.pop('conversation')
    if isinstance(conv, str):
        conv = get_conversation_template(conv)
    elif isinstance(conv, dict):  # from a config file
        conv = ConversationTemplate(**{**conv, 'roles': tuple(conv.get('roles', ('Human',
                                                                                'Assistant')))})
    conv_overrides = {k: cfg.pop(k) for k in list(cfg) if k in _CONVERSATION_FIELDS}
    if 'roles' in conv_overrides:
        conv_overrides['roles'] = tuple(conv_overrides['roles'])
    return replace(PromptTemplate(), conversation=replace(conv, **conv_overrides), **cfg)
