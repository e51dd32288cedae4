"""VideoChat-Text (``video_chat_with_ChatGPT``): perception models turn a video into text
(tags, a caption per second, dense captions every 5 s, a summary, an action label, speech),
the official prompt puts the text in front of a chat LLM.

Perception steps and chat LLMs are registered in :data:`VIDEOCHAT_TEXT` and built from
config dicts::

    bot = VideoChatText(
        steps=[dict(type='FrameCaptionStep', model='models/blip-base'),        # Tag2Text role
               dict(type='FrameCaptionStep', model='models/blip-base', every=5,
                    field='dense'),                                           # GRiT role
               dict(type='SummaryStep', model='models/flan-t5-summarize'),
               dict(type='ActionRecognitionStep', config='configs/umt/...py',
                    checkpoint='umt_k400.pth', labels='k400_labels.txt'),
               dict(type='WhisperASRStep', model='models/whisper-small')],    # optional
        llm=dict(type='OpenAIChatLLM', base_url='http://localhost:8000/v1', model='gpt-4'))
    bot.watch('video.mp4')
    print(bot.ask('What happens first?'))

Every model is read from a local path; nothing is downloaded.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from mmengine.registry import Registry

__all__ = ['VIDEOCHAT_TEXT', 'VideoText', 'VideoDescription', 'VideoChatText', 'PREFIX',
           'FORMAT_INSTRUCTIONS', 'SUFFIX', 'second_frame_indices', 'cut_dialogue_history',
           'build_prompt']

VIDEOCHAT_TEXT = Registry('videochat-text perception step / chat LLM')

# official chatbot.py texts (``{ai_prefix}`` is LangChain's 'AI'); the typo "sceond" and the
# missing separator between {video_caption} and "Previous conversation history" are official
PREFIX = 'ChatVideo is a chatbot that chats with you based on video descriptions.'
FORMAT_INSTRUCTIONS = ('When you have a response to say to the Human,  you MUST use the '
                       'format:\n```\n{ai_prefix}: [your response here]\n```')
SUFFIX = (
    'You are a chatbot that conducts conversations based on video descriptions. You mainly '
    'answer based on the given description, and you can also modify the content according to '
    'the tag information, and you can also answer the relevant knowledge of the person or '
    'object contained in the video. The second description is a description for one second, '
    'so that you can convert it into time. When describing, please mainly refer to the sceond '
    'description. Dense caption is to give content every five seconds, you can disambiguate '
    "them in timing. But you don't create a video plot out of nothing.\n\nBegin!\n\n"
    'Video tags are: {tags}\n\nThe second description of the video is: {image_caption}\n\n'
    'The dense caption of the video is: {dense_caption}\n\nThe general description of the '
    'video is: {video_caption}Previous conversation history {chat_history}\n\nNew input: '
    '{input}\n\n{agent_scratchpad}')
AI_PREFIX = 'AI'
STOP = ('\nObservation:',)  # LangChain ConversationalAgent's stop sequence
GREETING = ('I upload a video, Please watch it first! ', "I have watch this video, Let's chat!")


def second_frame_indices(num_frames: int, fps: float) -> list[int]:
    """Official ``loadvideo_decord_origin``: ``max(len // fps, 8)`` frames evenly over the
    video (``np.linspace(0, len, n)`` clipped to ``len - 1``): about one per second."""
    duration = max(num_frames // fps, 8)
    idx = np.linspace(0, num_frames, num=int(duration))
    return np.clip(idx, 0, num_frames - 1).astype(np.int64).tolist()


@dataclass
class VideoText:
    """A video as the perception steps see it: ``frames`` (T, H, W, 3) uint8 RGB (all
    decoded frames), ``fps``, ``indices`` (the ~1 fps frames the captioners read), optional
    ``audio`` path and ``meta`` (e.g. ``clip``: the synthetic world's ground truth)."""

    frames: np.ndarray
    fps: float
    indices: list[int] = field(default_factory=list)
    audio: str | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.frames.ndim != 4 or self.frames.shape[-1] != 3:
            raise ValueError(f'frames must be (T, H, W, 3) RGB, got {self.frames.shape}')
        if not self.indices:
            self.indices = second_frame_indices(len(self.frames), self.fps)


@dataclass
class VideoDescription:
    """The text fields of the official prompt (plus the action label and speech, which the
    released ChatGPT variant shows but does not put into the prompt)."""

    tags: list[str] = field(default_factory=list)
    second: list[str] = field(default_factory=list)  # one caption per sampled frame
    dense: list[tuple[int, str]] = field(default_factory=list)  # (sampled-frame index, text)
    general: str = ''
    action: str = ''
    speech: str = ''

    def fields(self) -> dict[str, str]:
        """Official strings: ``tags`` ' | '-joined, ``Second {i+1}:{caption}.\\n`` per frame,
        ``Second {i+1} : {caption}.\\n`` per dense caption (i = sampled-frame index)."""
        return dict(tags=' | '.join(self.tags),
                    image_caption=' '.join(f'Second {i + 1}:{c}.\n'
                                           for i, c in enumerate(self.second)),
                    dense_caption=' '.join(f'Second {i + 1} : {c}.\n' for i, c in self.dense),
                    video_caption=self.general)


def cut_dialogue_history(history: str, keep_last_n_words: int = 500) -> str:
    """Official ``cut_dialogue_history``: drop whole leading lines until fewer than
    ``keep_last_n_words`` words remain (the result then starts with a newline)."""
    n = len(history.split())
    if n < keep_last_n_words:
        return history
    lines = history.split('\n')
    while n >= keep_last_n_words and lines:
        n -= len(lines[0].split(' '))
        lines = lines[1:]
    return '\n' + '\n'.join(lines)


def build_prompt(desc: VideoDescription, question: str, chat_history: str = '',
                 with_action: bool = False, with_speech: bool = False) -> str:
    """LangChain ``ConversationalAgent.create_prompt`` with no tools: PREFIX, '' (tool list),
    FORMAT_INSTRUCTIONS, SUFFIX joined by blank lines, the scratchpad empty. ``with_action``
    / ``with_speech`` append those fields to the general description (an option: the
    released code shows the action only in its UI and has no ASR)."""
    fields = desc.fields()
    extra = [f'The action in the video is: {desc.action}.' if with_action and desc.action
             else '', f'The speech in the video is: {desc.speech}' if with_speech
             and desc.speech else '']
    fields['video_caption'] = ' '.join([fields['video_caption'], *filter(None, extra)]).strip()
    suffix = SUFFIX.format(chat_history=chat_history, input=question, agent_scratchpad='',
                           **fields)
    return '\n\n'.join([PREFIX, '', FORMAT_INSTRUCTIONS.format(ai_prefix=AI_PREFIX), suffix])


def parse_answer(text: str) -> str:
    """LangChain's conversational output parser: the text after the last ``AI:`` (the whole
    text when the model forgot the format, where LangChain raises), backslashes -> '/'."""
    for stop in STOP:
        text = text.split(stop)[0]
    if f'{AI_PREFIX}:' in text:
        text = text.split(f'{AI_PREFIX}:')[-1]
    return text.strip().replace('\\', '/')


# ---------------------------------------------------------------------- perception steps
class PerceptionStep:
    """``step(video, desc)`` fills some fields of ``desc`` from ``video``."""

    def __call__(self, video: VideoText, desc: VideoDescription) -> None:
        raise NotImplementedError


def _pil(frame: np.ndarray):
    from PIL import Image
    return Image.fromarray(np.ascontiguousarray(frame))


def _pipeline(task: str, model: str, **kwargs):
    from pathlib import Path

    from transformers import pipeline
    if not Path(model).exists():
        raise FileNotFoundError(f'{task} model {model!r} not found: give a local folder '
                                '(nothing is downloaded)')
    return pipeline(task, model=model, device='cpu', **kwargs)


@VIDEOCHAT_TEXT.register_module()
class FrameCaptionStep(PerceptionStep):
    """Captions of every ``every``-th sampled frame by an image-to-text model at a local path
    (official: Tag2Text for every frame -> ``second``; GRiT dense captioning on every 5th ->
    ``dense``, where one image caption per frame stands in for GRiT's region captions).

    Args:
        model: Local folder of a transformers image-to-text model (BLIP, GIT, ...).
        every: Caption sampled frames ``0, every, 2*every, ...``.
        field: ``'second'`` or ``'dense'``.
        max_new_tokens: 50 (official Tag2Text max_length).
        tags: Also add the caption's words as tags (Tag2Text's tag set role).
    """

    def __init__(self, model: str, every: int = 1, field: str = 'second',
                 max_new_tokens: int = 50, tags: bool = False) -> None:
        if field not in ('second', 'dense'):
            raise ValueError(f"field must be 'second' or 'dense', got {field!r}")
        self.captioner = _pipeline('image-to-text', model)
        self.every, self.field, self.tags = every, field, tags
        self.max_new_tokens = max_new_tokens

    def __call__(self, video: VideoText, desc: VideoDescription) -> None:
        picks = list(range(0, len(video.indices), self.every))
        images = [_pil(video.frames[video.indices[i]]) for i in picks]
        outs = self.captioner(images, generate_kwargs=dict(max_new_tokens=self.max_new_tokens))
        texts = [o[0]['generated_text'].strip() for o in outs]
        if self.field == 'second':
            desc.second = texts
        else:
            desc.dense = list(zip(picks, texts))
        if self.tags:
            desc.tags = sorted({w for t in texts for w in re.findall(r'[a-z]{3,}', t.lower())}
                               | set(desc.tags))


@VIDEOCHAT_TEXT.register_module()
class SummaryStep(PerceptionStep):
    """General description: a local text-to-text summariser (official FLAN-T5-large fine-tuned
    on summarize_from_feedback) on ``'. '.join(second captions)``."""

    def __init__(self, model: str, max_new_tokens: int = 100) -> None:
        self.summariser = _pipeline('text2text-generation', model)
        self.max_new_tokens = max_new_tokens

    def __call__(self, video: VideoText, desc: VideoDescription) -> None:
        if not desc.second:
            raise ValueError('SummaryStep needs the per-second captions: put a '
                             "FrameCaptionStep(field='second') before it")
        out = self.summariser('. '.join(desc.second), max_new_tokens=self.max_new_tokens)
        desc.general = out[0]['generated_text'].strip()


@VIDEOCHAT_TEXT.register_module()
class WhisperASRStep(PerceptionStep):
    """Speech transcript from a local Whisper folder (the paper's ASR; not in the released
    code). Skipped for a video without ``audio``."""

    def __init__(self, model: str) -> None:
        self.asr = _pipeline('automatic-speech-recognition', model)

    def __call__(self, video: VideoText, desc: VideoDescription) -> None:
        if video.audio:
            desc.speech = self.asr(video.audio)['text'].strip()


@VIDEOCHAT_TEXT.register_module()
class ActionRecognitionStep(PerceptionStep):
    """The top class of any registered recognizer (official: InternVideo UniFormerV2-B on 8
    frames ``np.linspace(0, len - 1, 8)``; here e.g. our UMT / VideoMAE V2 Kinetics models).

    Args:
        model: Recognizer config dict, or a config file whose ``model`` it is.
        labels: Class names, or a text file with one per line.
        checkpoint: Optional weights (ours, loaded safely).
        num_frames / size: Frames sampled evenly; frames resized to ``size`` x ``size``.
    """

    def __init__(self, model: dict | str, labels: Sequence[str] | str,
                 checkpoint: str | None = None, num_frames: int = 8, size: int = 224) -> None:
        from mmengine.config import Config
        from mmengine.registry import DefaultScope

        from mmvideofm.registry import MODELS
        if isinstance(model, str):
            model = Config.fromfile(model).model
        with DefaultScope.overwrite_default_scope('mmvideofm'):
            self.model = MODELS.build(model).eval()
        if checkpoint:
            from mmvideofm.checkpoint import load_checkpoint_file, unwrap_state_dict
            self.model.load_state_dict(unwrap_state_dict(load_checkpoint_file(checkpoint)))
        if isinstance(labels, str):
            with open(labels) as f:
                labels = [line.strip() for line in f if line.strip()]
        self.labels, self.num_frames, self.size = list(labels), num_frames, size

    @torch.no_grad()
    def __call__(self, video: VideoText, desc: VideoDescription) -> None:
        idx = np.linspace(0, len(video.frames) - 1, self.num_frames).astype(np.int64)
        clip = torch.from_numpy(video.frames[idx]).permute(3, 0, 1, 2).float()  # C,T,H,W
        clip = torch.nn.functional.interpolate(clip, size=(self.size, self.size),
                                               mode='bilinear', align_corners=False)
        from mmaction.structures import ActionDataSample
        data = self.model.data_preprocessor(
            dict(inputs=[clip[None]], data_samples=[ActionDataSample()]), False)
        sample = self.model(**data, mode='predict')
        scores = sample[0].pred_score.reshape(-1)
        if len(scores) != len(self.labels):
            raise ValueError(f'the recognizer has {len(scores)} classes but {len(self.labels)}'
                             ' labels were given')
        desc.action = self.labels[int(scores.argmax())]


@VIDEOCHAT_TEXT.register_module()
class SyntheticOracleStep(PerceptionStep):
    """Perfect perception for the synthetic world (tests, ablations): from the ground truth
    in ``video.meta['clip']`` (a ``mmvideofm.datasets.synthetic`` ``Clip``): tags = the
    objects' colours and shapes, per-second captions = the objects visible in each sampled
    frame, dense captions = the same with positions every ``every`` frames, the template
    caption as the general description, the task labels as the action."""

    def __init__(self, every: int = 5) -> None:
        self.every = every

    @staticmethod
    def _frame_text(clip, t: int, where: bool = False) -> str:
        parts = []
        for o in clip.objects:
            if not o.visible[t]:
                continue
            text = f'a {o.colors[t]} {o.shape}'
            if where:
                x1, y1, x2, y2 = (float(v) for v in o.boxes[t])
                text += f' at ({(x1 + x2) / 2:.0f}, {(y1 + y2) / 2:.0f})'
            parts.append(text)
        return ' and '.join(parts) or 'an empty background'

    def __call__(self, video: VideoText, desc: VideoDescription) -> None:
        clip = video.meta.get('clip')
        if clip is None:
            raise KeyError("SyntheticOracleStep needs video.meta['clip'] (the synthetic "
                           'ground truth)')
        desc.tags = sorted({f'{c} {o.shape}' for o in clip.objects for c in set(o.colors)})
        desc.second = [self._frame_text(clip, t) for t in video.indices]
        desc.dense = [(i, self._frame_text(clip, video.indices[i], where=True))
                      for i in range(0, len(video.indices), self.every)]
        desc.general = clip.caption
        desc.action = ', '.join(f'{k}: {v}' for k, v in clip.labels.items())


# ---------------------------------------------------------------------- chat LLMs
@VIDEOCHAT_TEXT.register_module()
class TransformersChatLLM:
    """A local transformers causal LM: ``llm(prompt) -> completion`` (greedy unless
    ``do_sample``), cut at the stop strings.

    Args:
        model: Local folder (model, and its tokenizer unless ``tokenizer``).
        tokenizer: Folder or SentencePiece ``tokenizer.model`` (default: the model's).
        max_new_tokens / do_sample / temperature / top_p: Generation options.
        chat_template: Wrap the prompt as one user message with the tokenizer's chat
            template (None: when the tokenizer has one).
    """

    def __init__(self, model: str, tokenizer: str | None = None, max_new_tokens: int = 256,
                 do_sample: bool = False, temperature: float = 1.0, top_p: float = 1.0,
                 chat_template: bool | None = None) -> None:
        from pathlib import Path

        from transformers import AutoModelForCausalLM

        from mmvideofm.models.llm.causal_lm import build_llm_tokenizer
        if not Path(model).exists():
            raise FileNotFoundError(f'chat LLM {model!r} not found: give a local folder')
        self.tokenizer = build_llm_tokenizer(tokenizer, model)
        self.model = AutoModelForCausalLM.from_pretrained(model, local_files_only=True).eval()
        self.generation = dict(max_new_tokens=max_new_tokens, do_sample=do_sample)
        if do_sample:
            self.generation.update(temperature=temperature, top_p=top_p)
        self.chat_template = (getattr(self.tokenizer, 'chat_template', None) is not None
                              if chat_template is None else chat_template)

    @torch.no_grad()
    def __call__(self, prompt: str, stop: Sequence[str] = STOP) -> str:
        if self.chat_template:
            ids = self.tokenizer.apply_chat_template([dict(role='user', content=prompt)],
                                                     add_generation_prompt=True,
                                                     return_tensors='pt')
            ids = ids if isinstance(ids, torch.Tensor) else ids['input_ids']
        else:
            ids = self.tokenizer(prompt, return_tensors='pt')['input_ids']
        out = self.model.generate(ids, attention_mask=torch.ones_like(ids),
                                  pad_token_id=self.tokenizer.eos_token_id, **self.generation)
        text = self.tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True)
        for s in stop:
            text = text.split(s)[0]
        return text


@VIDEOCHAT_TEXT.register_module()
class OpenAIChatLLM:
    """Any OpenAI-compatible endpoint (OpenAI, vLLM, this project's ``tools/serve.py``):
    the prompt as one user message; official ChatGPT variant: temperature 0.

    Args:
        base_url: e.g. ``http://localhost:8000/v1``.
        model: Model name the endpoint serves.
        api_key: Key (``'EMPTY'`` for local servers).
        http_client: Optional ``httpx.Client`` (tests).
    """

    def __init__(self, base_url: str, model: str, api_key: str = 'EMPTY',
                 temperature: float = 0.0, max_tokens: int = 512,
                 http_client: Any = None) -> None:
        from openai import OpenAI
        self.client = OpenAI(base_url=base_url, api_key=api_key, http_client=http_client)
        self.model, self.temperature, self.max_tokens = model, temperature, max_tokens

    def __call__(self, prompt: str, stop: Sequence[str] = STOP) -> str:
        out = self.client.chat.completions.create(
            model=self.model, messages=[dict(role='user', content=prompt)],
            temperature=self.temperature, max_tokens=self.max_tokens, stop=list(stop))
        return out.choices[0].message.content or ''


def _build(cfg: dict | Callable) -> Callable:
    return VIDEOCHAT_TEXT.build(dict(cfg)) if isinstance(cfg, dict) else cfg


class VideoChatText:
    """Perception -> text -> LLM chat (official ``ConversationBot``).

    Args:
        steps: Perception step configs (or callables ``step(video, desc)``), run in order.
        llm: Chat LLM config (or a callable ``llm(prompt, stop) -> text``).
        keep_last_n_words: History kept before each turn (official 500).
        with_action / with_speech: Put the action label / transcript into the prompt
            (off: as the released ChatGPT variant).
    """

    def __init__(self, steps: Sequence[dict | Callable], llm: dict | Callable,
                 keep_last_n_words: int = 500, with_action: bool = False,
                 with_speech: bool = False) -> None:
        self.steps = [_build(s) for s in steps]
        self.llm = _build(llm)
        self.keep_last_n_words = keep_last_n_words
        self.with_action, self.with_speech = with_action, with_speech
        self.desc: VideoDescription | None = None
        self.memory: list[tuple[str, str]] = []

    def watch(self, video: VideoText | str, meta: dict | None = None) -> VideoDescription:
        """Run the perception steps on a :class:`VideoText` or a video file; resets the
        chat."""
        if isinstance(video, str):
            from mmvideofm.datasets.video_io import open_video
            with open_video(video) as reader:
                frames = reader.get_frames(list(range(len(reader))))
                fps = reader.fps or 30.0
            video = VideoText(np.asarray(frames), fps, meta=meta or {})
        desc = VideoDescription()
        for step in self.steps:
            step(video, desc)
        self.desc, self.memory = desc, []
        return desc

    @property
    def chat_history(self) -> str:
        """LangChain ``ConversationBufferMemory`` text, cut to the last words."""
        text = '\n'.join(f'Human: {q}\n{AI_PREFIX}: {a}' for q, a in self.memory)
        return cut_dialogue_history(text, self.keep_last_n_words)

    def prompt(self, question: str) -> str:
        """The full LLM prompt for the next question."""
        if self.desc is None:
            raise RuntimeError('no video yet: call watch(video) first')
        return build_prompt(self.desc, question, self.chat_history, self.with_action,
                            self.with_speech)

    def ask(self, question: str) -> str:
        """One chat turn; the answer goes into the history."""
        answer = parse_answer(self.llm(self.prompt(question), STOP))
        self.memory.append((question, answer))
        return answer
