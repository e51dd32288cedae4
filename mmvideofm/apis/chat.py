"""ChatSession: upload a video (or image), then ask multi-turn questions, streamed or whole.

The flow of the official VideoChat / VideoChat2 demo (``conversation.py::Chat``):
``upload_video`` samples frames, writes the video turn with the frame-time message and
encodes the visual tokens once; every ``ask`` appends the question, builds the prompt
(``...###Assistant:``), splices the visual tokens at the placeholder, generates and records the
answer text for the next turn. Used by ``tools/chat.py``, the web UI and the OpenAI-style
server; works with any model that has BaseVideoLLM's ``template`` / ``encode_media`` /
``answer`` / ``stream_answer``.
"""
from __future__ import annotations

import copy
import os.path as osp
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from torch import nn
from transformers import LogitsProcessor, LogitsProcessorList

from mmvideofm.models.llm.causal_lm import CausalLM
from mmvideofm.models.llm.conversation import (
    Conversation,
    frame_seconds,
    frame_time_message,
    get_conversation_template,
)

__all__ = ['ChatSession', 'ChatUsage', 'chat_frame_indices', 'IMAGE_EXTENSIONS']

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.gif', '.tif', '.tiff')
#: the Q-Former instructions of the official demos
VIDEO_INSTRUCTION = 'Watch the video and answer the question.'
IMAGE_INSTRUCTION = 'Observe the image and answer the question.'
GENERATION_KEYS = ('max_new_tokens', 'do_sample', 'temperature', 'top_p',
                   'repetition_penalty', 'num_beams', 'max_length')
#: the model's default prompt + answer budget (``BaseVideoLLM``, as in the official chat)
MAX_LENGTH = 2000


@dataclass
class ChatUsage:
    """Tokens of one answer, counted with the model's own tokenizer.

    ``prompt_text_tokens``: text tokens of the prompt the LLM saw (BOS included);
    ``visual_tokens``: visual tokens spliced in at the placeholder; both after the official
    ``max_length`` cut (a conversation too long loses its beginning). ``generated_tokens``:
    generation steps, including the separator or EOS that ended the answer."""

    prompt_text_tokens: int
    visual_tokens: int
    max_new_tokens: int
    generated_tokens: int = 0

    @property
    def prompt_tokens(self) -> int:
        """Every token the LLM saw before answering: text + visual."""
        return self.prompt_text_tokens + self.visual_tokens

    @property
    def hit_length(self) -> bool:
        """Whether the answer used all ``max_new_tokens`` (it may have been cut short)."""
        return self.generated_tokens >= self.max_new_tokens


class _CountSteps(LogitsProcessor):
    """Counts generation steps (one new token each); leaves the scores alone."""

    def __init__(self, usage: ChatUsage) -> None:
        self.usage = usage

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor
                 ) -> torch.FloatTensor:
        self.usage.generated_tokens += 1
        return scores


def chat_frame_indices(num_video_frames: int, num_segments: int) -> list[int]:
    """The demo's ``Chat.get_index``: ``start + round(seg * i)``, ``seg = (n - 1) / segments``,
    ``start = int(seg / 2)``."""
    seg = (num_video_frames - 1) / num_segments
    start = int(seg / 2)
    return [start + int(np.round(seg * i)) for i in range(num_segments)]


class ChatSession:
    """A multi-turn chat about one video or image.

    Args:
        model: A video LLM (:class:`~mmvideofm.models.llm.BaseVideoLLM` or one with the same
            ``template``, ``encode_media``, ``answer``, ``stream_answer``, ``num_frames``,
            ``image_size`` and ``data_preprocessor``).
        template: Conversation template name overriding the model's.
        num_frames: Frames sampled from a video (default: the model's).
        device: Where the model runs.
        system: System text of the conversation (default: the template's).
        instruction: Q-Former instruction for videos (default: the official demo's).

    Generation keywords of :meth:`ask` / :meth:`stream`: ``max_new_tokens`` (256),
    ``do_sample`` (False: greedy; the official demo samples with ``top_p=0.9``),
    ``temperature``, ``top_p``, ``repetition_penalty``, ``num_beams``, ``max_length`` (2000:
    prompt + answer tokens; a longer conversation loses its beginning, as officially).

    With a :class:`~mmvideofm.models.llm.CausalLM` LLM, :attr:`last_usage` holds the
    :class:`ChatUsage` of the latest answer and :meth:`count_tokens` counts text tokens.
    """

    def __init__(self, model: nn.Module, *, template: str | None = None,
                 num_frames: int | None = None, device: str | torch.device = 'cpu',
                 system: str | None = None, instruction: str | None = None) -> None:
        for attr in ('encode_media', 'answer', 'stream_answer', 'template'):
            if not hasattr(model, attr):
                raise TypeError(f'{type(model).__name__} cannot chat: it has no {attr!r} '
                                f'(build a video LLM, e.g. a BaseVideoLLM config)')
        self.model = model.to(device).eval()
        self.device = torch.device(device)
        self.template = get_conversation_template(template) if template else model.template
        self.num_frames = int(num_frames or getattr(model, 'num_frames', 8))
        if self.num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {self.num_frames}')
        self.system = system
        self.instruction = instruction
        self.frames: np.ndarray | None = None
        self.media: str | None = None
        self._visual: torch.Tensor | None = None
        self._media_msg = ''
        self._history: list[tuple[str, str]] = []
        self._conv: Conversation | None = None
        self.last_usage: ChatUsage | None = None

    @classmethod
    def from_config(cls, config: str | Path | Config, checkpoint: str | None = None,
                    device: str | torch.device = 'cpu', **kwargs) -> ChatSession:
        """Build the config's model (``init_model``: strict, safe checkpoint loading)."""
        from .inference import init_model
        cfg_options = kwargs.pop('cfg_options', None)
        return cls(init_model(config, checkpoint, device, cfg_options=cfg_options),
                   device=device, **kwargs)

    # ------------------------------------------------------------------ media
    def load_video(self, path: str | Path) -> np.ndarray:
        """Sample ``num_frames`` frames (``(T, H, W, 3)`` uint8, as the model sees them),
        encode them and start a new conversation about this video."""
        from mmvideofm.datasets.video_io import open_video
        path = str(path)
        if path.lower().endswith(IMAGE_EXTENSIONS):
            raise ValueError(f'{path} is an image; use load_image() for images '
                             f'(load_video expects a video file or a folder of frames)')
        with open_video(path) as reader:
            n, fps = len(reader), reader.fps
            if n < 1:
                raise ValueError(f'{path} has no frames')
            idx = chat_frame_indices(n, self.num_frames)
            frames = reader.get_frames(idx)
        msg = frame_time_message(frame_seconds(idx, fps)) if fps and fps > 0 else ''
        return self._start('video', frames, msg)

    def load_image(self, path: str | Path) -> np.ndarray:
        """Read one image (``(1, H, W, 3)`` uint8 as the model sees it), encode it and start
        a new conversation about it."""
        import mmcv
        path = str(path)
        if not osp.isfile(path):
            raise FileNotFoundError(f'image {path} does not exist')
        if not path.lower().endswith(IMAGE_EXTENSIONS):
            raise ValueError(f'{path} is not an image ({", ".join(IMAGE_EXTENSIONS)}); use '
                             f'load_video() for videos')
        img = mmcv.imread(path, channel_order='rgb')
        if img is None:
            raise ValueError(f'{path} is not a readable image')
        return self._start('image', img[None], '')

    def _preprocess(self, frames: np.ndarray) -> tuple[np.ndarray, torch.Tensor]:
        """Shorter side to ``image_size`` (bicubic), centre crop, the model's normalisation."""
        import mmcv
        size = int(getattr(self.model, 'image_size', 224))
        out = []
        for f in frames:
            h, w = f.shape[:2]
            scale = size / min(h, w)
            f = mmcv.imresize(f, (max(size, round(w * scale)), max(size, round(h * scale))),
                              interpolation='bicubic')
            top, left = (f.shape[0] - size) // 2, (f.shape[1] - size) // 2
            out.append(f[top:top + size, left:left + size])
        seen = np.ascontiguousarray(np.stack(out), dtype=np.uint8)
        clip = torch.from_numpy(seen).permute(3, 0, 1, 2)  # (3, T, H, W)
        pre = getattr(self.model, 'data_preprocessor', None)
        if pre is not None:
            clip = pre(dict(inputs=[clip], data_samples=None), False)['inputs']
        else:
            clip = clip[None].float()
        return seen, clip.to(self.device)

    def _start(self, media: str, frames: np.ndarray, msg: str) -> np.ndarray:
        seen, clip = self._preprocess(frames)
        instruction = self.instruction if media == 'video' else None
        instruction = instruction or (VIDEO_INSTRUCTION if media == 'video'
                                      else IMAGE_INSTRUCTION)
        with torch.no_grad():
            self._visual = self.model.encode_media(clip, [instruction])[0]
        self.frames, self.media, self._media_msg = seen, media, msg
        self.reset()
        return seen

    # ------------------------------------------------------------------ chat
    def reset(self) -> None:
        """Forget the questions and answers (the loaded video stays)."""
        self._history = []
        self._conv = None
        if self.media is not None:
            self._conv = self.template.new(self.system)
            self._conv.add_media(self.media, self._media_msg)

    @property
    def history(self) -> list[tuple[str, str]]:
        """``(question, answer)`` pairs so far."""
        return list(self._history)

    def restore_history(self, turns: list[tuple[str, str]]) -> None:
        """Replace the questions and answers with ``turns`` (a stateless API sends the whole
        conversation each time), as if they had been asked and answered here."""
        if self._conv is None:
            raise RuntimeError('load the video or image before restoring a conversation '
                               'about it (load_video / load_image)')
        self.reset()
        for question, answer in turns:
            if not isinstance(question, str) or not isinstance(answer, str):
                raise TypeError(f'history turns are (question, answer) strings, got '
                                f'{(question, answer)!r}')
            self._conv.ask(question)
            self._conv.get_prompt()  # opens the assistant turn, as ask() does
            self._finish(question, answer)

    def prompt(self, question: str | None = None) -> str:
        """The prompt the LLM would continue after ``question`` (the history as it stands
        when ``None``); the session is not changed."""
        if self._conv is None:
            raise RuntimeError('no video or image loaded: call load_video(path) or '
                               'load_image(path) first')
        conv = copy.deepcopy(self._conv)
        if question is not None:
            conv.ask(question)
        return conv.get_prompt()

    def _prompt_segments(self, text: str) -> list[str]:
        if self._conv is None:
            raise RuntimeError('no video or image loaded: call load_video(path) or '
                               'load_image(path) before asking')
        if not isinstance(text, str) or not text.strip():
            raise ValueError('the question is empty')
        self._conv.ask(text)
        prompt = self._conv.get_prompt()
        placeholder = self.template.placeholder(self.media)
        segments = prompt.split(placeholder)
        if len(segments) != 2:
            raise ValueError(f'the prompt must hold the {self.media} placeholder '
                             f'{placeholder!r} exactly once, found {len(segments) - 1} '
                             f'(a question may not contain it)')
        return segments

    @staticmethod
    def _generation(kwargs: dict) -> dict:
        unknown = set(kwargs) - set(GENERATION_KEYS)
        if unknown:
            raise TypeError(f'unknown generation options {sorted(unknown)}; use '
                            f'{", ".join(GENERATION_KEYS)}')
        return {'max_new_tokens': 256, **kwargs}

    @property
    def _llm(self) -> CausalLM | None:
        llm = getattr(self.model, 'llm', None)
        return llm if isinstance(llm, CausalLM) else None

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` by the LLM's tokenizer (no BOS / EOS)."""
        if self._llm is None:
            raise TypeError(f'{type(self.model).__name__} has no CausalLM tokenizer to count '
                            f'tokens with')
        return len(self._llm.tokenize(text))

    def _usage(self, segments: list[str], generation: dict) -> ChatUsage:
        """The prompt's token counts as the model splices and cuts it
        (``BaseVideoLLM._prompt_embeds``: ``seg0 + visual + seg1``, the first
        ``len + max_new_tokens - max_length`` positions dropped)."""
        text = [len(self._llm.tokenize(seg, bos=i == 0)) for i, seg in enumerate(segments)]
        visual = self._visual.reshape(-1, self._visual.shape[-1]).shape[0]
        max_new = generation['max_new_tokens']
        over = max(0, sum(text) + visual + max_new - generation.get('max_length', MAX_LENGTH))
        visual_cut = min(visual, max(0, over - text[0]))
        text_seen = max(0, sum(text) - (over - visual_cut))
        return ChatUsage(text_seen, visual - visual_cut, max_new)

    def stream(self, text: str, **generation) -> Iterator[str]:
        """Answer ``text`` piece by piece (``''.join`` equals :meth:`ask`'s answer); the
        turn is recorded when the stream is exhausted."""
        generation = self._generation(generation)
        segments = self._prompt_segments(text)
        pieces = []
        self.last_usage = None
        if self._llm is not None:
            self.last_usage = self._usage(segments, generation)
            generation['logits_processor'] = LogitsProcessorList(
                [_CountSteps(self.last_usage)])
        answer = self.model.stream_answer(segments, [self._visual], **generation)
        try:
            for piece in answer:
                pieces.append(piece)
                yield piece
        finally:
            answer.close()  # a reader that stops early stops the generation too
            self._finish(text, ''.join(pieces))

    def ask(self, text: str, **generation) -> str:
        """Answer ``text`` (the whole answer at once)."""
        return ''.join(self.stream(text, **generation))

    def _finish(self, question: str, answer: str) -> None:
        self._conv.answer(answer)
        self._history.append((question, answer))
