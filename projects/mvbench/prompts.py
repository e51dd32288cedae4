"""MVBench prompt construction, byte-for-byte with the official VideoChat2 evaluation.

The default :class:`PromptTemplate` is the Vicuna ``###`` conversation of the
evaluation cell (``system_llm=True``, ``system_q=False``, ``Best option:(`` prefill);
other conversation styles (e.g. Mistral's ``[INST]``) are one config dict away
(``template=dict(style='mistral_inst')`` or any field override).
"""
from dataclasses import asdict, dataclass, field, replace

__all__ = [
    'SYSTEM', 'PromptTemplate', 'MVBenchPrompt', 'qa_template', 'option_letter',
    'build_template', 'TEMPLATE_PRESETS',
]

SYSTEM = ('Carefully watch the video and pay attention to the cause and sequence of events, '
          'the detail and movement of objects, and the action and pose of persons. Based on '
          'your observations, select the best option that accurately addresses the question.\n')


def option_letter(idx: int) -> str:
    """``0 -> 'A'``; ``-1 -> '@'`` (the official letter of an answer not among candidates)."""
    return chr(ord('A') + idx)


def qa_template(question: str, candidates: list[str], answer: str) -> tuple[str, str]:
    """Official ``qa_template``: the question/option block and the ``"(X) answer"`` string.

    The letter is that of the *last* candidate equal to ``answer`` ('@' if none); the
    block is ``rstrip``-ed, so trailing spaces of the last candidate disappear.
    """
    lines = [f'Question: {question}', 'Options:']
    answer_idx = -1
    for idx, cand in enumerate(candidates):
        lines.append(f'({option_letter(idx)}) {cand}')
        if cand == answer:
            answer_idx = idx
    block = ('\n'.join(lines) + '\n').rstrip()
    return block, f'({option_letter(answer_idx)}) {answer}'


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
    """A conversation template (defaults = official Vicuna evaluation settings)."""

    system: str = SYSTEM
    question_prompt: str = '\nOnly give the best option.'
    answer_prompt: str | None = 'Best option:('
    return_prompt: str = '('
    roles: tuple[str, str] = ('Human', 'Assistant')
    sep: str = '###'  # written after the system text and after every finished turn
    role_sep: str = ': '  # between a role and its message
    video_message: str = '<Video><VideoHere></Video>\n'  # the user turn carrying the video
    video_placeholder: str = '<VideoHere>'  # where visual embeddings are spliced
    user_suffix: str = '\n'  # appended to the question turn (official ``ask``)
    system_llm: bool = True  # repeat the system text at the start of the question turn
    system_q: bool = False  # add the question block to the QFormer instruction
    video_turn_separate: bool = True  # video in its own user turn (Vicuna) or merged

    def build(self, question: str, candidates: list[str], meta: dict | None = None
              ) -> MVBenchPrompt:
        block, _ = qa_template(question, candidates, '')
        user_q = ((self.system if self.system_llm else '') + block + self.question_prompt
                  + self.user_suffix)
        human, assistant = self.roles
        if self.video_turn_separate:
            turns = [(human, self.video_message), (human, user_q)]
        else:
            turns = [(human, self.video_message + user_q)]
        text = self.system + self.sep
        for role, msg in turns:
            text += role + self.role_sep + msg + self.sep
        if self.answer_prompt:
            text += assistant + self.role_sep + self.answer_prompt
        else:
            text += assistant + self.role_sep.rstrip()
        parts = text.split(self.video_placeholder)
        segments = [(p, i == 0) for i, p in enumerate(parts)]  # BOS on the first only
        qformer = self.system + (block if self.system_q else '')
        return MVBenchPrompt(text=text, segments=segments, qformer_instruction=qformer,
                             question_block=block, question=question,
                             candidates=list(candidates), answer_prompt=self.answer_prompt,
                             return_prompt=self.return_prompt, meta=dict(meta or {}))

    def to_dict(self) -> dict:
        return asdict(self)


# Presets. 'vicuna' is the parity-checked official evaluation. 'mistral_inst' follows the
# ``[INST]`` conversation of VideoChat2-Mistral's demo notebook (roles [INST]/[/INST], no
# separator, 'Best Option:(' prefill); it is NOT covered by the parity fixtures.
TEMPLATE_PRESETS: dict[str, dict] = {
    'vicuna': {},
    'mistral_inst': dict(roles=('[INST]', '[/INST]'), sep='', role_sep=' ', system='',
                         video_message='<Video><VideoHere></Video> ', user_suffix=' ',
                         answer_prompt='Best Option:(', video_turn_separate=False),
}


def build_template(cfg: dict | PromptTemplate | None = None) -> PromptTemplate:
    """``None`` | ``dict(style='vicuna'|'mistral_inst', **overrides)`` | a template."""
    if isinstance(cfg, PromptTemplate):
        return cfg
    cfg = dict(cfg or {})
    preset = cfg.pop('style', 'vicuna')
    if preset not in TEMPLATE_PRESETS:
        raise KeyError(f'unknown prompt template {preset!r}; known: {sorted(TEMPLATE_PRESETS)}')
    if 'roles' in cfg:
        cfg['roles'] = tuple(cfg['roles'])
    return replace(PromptTemplate(), **{**TEMPLATE_PRESETS[preset], **cfg})
