"""BaseVideoLLM: vision encoder -> (temporal module) -> connector (Q-Former or none) ->
projection -> causal LM, for VideoChat, VideoChat2, VideoLLM and InternChat.

``loss`` trains on instruction batches (the conversation and Q-Former instruction of each
sample, from :class:`~mmvideofm.datasets.instruction.InstructionDataset`); ``answer`` /
``stream_answer`` generate from a prompt split at the video placeholders (what
:class:`~mmvideofm.apis.ChatSession` and the MVBench answerer call).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import torch
from mmengine.logging import print_log
from torch import nn

from mmvideofm.models.algorithms import BaseVideoAlgorithm
from mmvideofm.models.utils import as_clip_batch
from mmvideofm.registry import MODELS, TOKENIZERS

from .causal_lm import CausalLM
from .conversation import ConversationTemplate, get_conversation_template

__all__ = ['BaseVideoLLM', 'AnswerText']


def _as_module(cfg: dict | nn.Module | None) -> nn.Module | None:
    return MODELS.build(dict(cfg)) if isinstance(cfg, dict) else cfg


class AnswerText:
    """Token ids -> the answer text, incrementally (official ``answer``): drop a leading
    ``<unk>`` / ``<s>``, cut at the first stop string, drop a leading assistant role marker,
    strip. :meth:`push` returns only text that can no longer change (held back: trailing
    spaces, a possible stop-string or role-marker prefix, an incomplete UTF-8 byte), so the
    pieces joined equal the whole answer. Difference: a role marker after some text ends the
    answer here, where the official ``split('Assistant:')[-1]`` keeps only what follows it
    (that would retract text already streamed)."""

    def __init__(self, llm: CausalLM, template: ConversationTemplate) -> None:
        self.llm = llm
        self.stops = [s for s in template.stop_strings if s]
        self.role = template.roles[1] + template.role_sep.rstrip()
        self.ids: list[int] = []
        self.shown = ''
        self.done = False

    def _text(self, final: bool) -> str:
        ids = list(self.ids)
        tok = self.llm.tokenizer
        for special in (tok.unk_token_id, tok.bos_token_id):
            if ids and ids[0] == special:
                ids = ids[1:]
        text = self.llm.decode(ids)
        for stop in self.stops:
            text = text.split(stop)[0]
        if self.role in text:  # a leading role marker is dropped, a later one ends it
            head, _, tail = text.partition(self.role)
            text = tail if not head.strip() else head
        text = text.lstrip()
        if final:
            return text.rstrip()
        text = text.rstrip().rstrip('\ufffd')
        for marker in [*self.stops, self.role]:  # a marker may be forming at the end
            for k in range(len(marker) - 1, 0, -1):
                if text.endswith(marker[:k]):
                    return text[:-k]
        return text

    def push(self, token: int) -> str:
        """Add one generated id; the newly settled text ('' if none)."""
        self.ids.append(int(token))
        return self._advance(self._text(final=False))

    def final(self) -> str:
        """The rest of the answer once generation ended."""
        return self._advance(self._text(final=True))

    def _advance(self, text: str) -> str:
        if self.done or not text.startswith(self.shown):
            self.done = self.done or bool(self.shown)
            return ''
        new, self.shown = text[len(self.shown):], text
        return new


@MODELS.register_module()
class BaseVideoLLM(BaseVideoAlgorithm):
    """A video LLM: visual tokens spliced into a causal LM's prompt.

    Args:
        vision_encoder: Config of a video backbone mapping ``(B, C, T, H, W)`` to tokens
            ``(B, N, C)`` (e.g. ``dict(type='VideoViT', out_type='raw', ...)``,
            ``dict(type='UMTViT', ...)``).
        llm: :class:`CausalLM` config (or module).
        qformer: Connector :class:`QFormer` config; ``None``: the vision tokens go straight to
            the projection (VideoLLM's linear semantic translator, LLaVA-style).
        temporal_module: Optional module on ``(B, T, L, C)`` tokens (returns tokens of any
            shape ``(B, ..., C)``), between the encoder and the connector.
        vision_layernorm: ``LayerNorm`` on the vision tokens (VideoChat2 ``vision_layernorm``,
            eps 1e-12; VideoChat ``ln_vision``); ``False`` for none.
        vision_width: Vision token width (default: the Q-Former's ``encoder_width``).
        qformer_tokenizer: TOKENIZERS config of the Q-Former instruction tokenizer (BERT;
            ``[DEC]`` is added as BOS, left truncation as officially).
        template: Conversation template name / dict / object (``'vicuna_v0'``).
        num_frames: Frames the model sees (chat samples this many).
        image_size: Frame size the model sees (chat resizes to it).
        max_txt_len: Q-Former instruction tokens kept (left truncation; the LLM's own text
            limit is ``llm.max_txt_len``).
        freeze_vision / freeze_qformer: Stage switches (the LLM's are in its ``tuning``).
        generation_cfg: Generation options of ``predict`` (official MVBench: greedy, 100 new
            tokens).
        data_preprocessor / seed / init_cfg: See :class:`BaseVideoAlgorithm`.
    """

    default_data_preprocessor = dict(type='ActionDataPreprocessor', format_shape='NCTHW',
                                     mean=[122.770938, 116.7460125, 104.09373615],
                                     std=[68.5005327, 66.6321579, 70.32316305])

    def __init__(self, vision_encoder: dict | nn.Module, llm: dict | CausalLM,
                 qformer: dict | nn.Module | None = None,
                 temporal_module: dict | nn.Module | None = None,
                 vision_layernorm: bool | float = 1e-12, vision_width: int | None = None,
                 qformer_tokenizer: dict | None = None,
                 template: str | dict | ConversationTemplate = 'vicuna_v0',
                 num_frames: int = 8, image_size: int = 224, max_txt_len: int = 512,
                 freeze_vision: bool = False, freeze_qformer: bool = False,
                 generation_cfg: dict | None = None,
                 data_preprocessor: dict | nn.Module | None = None, seed: int | None = None,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, seed=seed, init_cfg=init_cfg)
        self.vision_encoder = _as_module(vision_encoder)
        self.temporal_module = _as_module(temporal_module)
        self.qformer = _as_module(qformer)
        self.llm = _as_module(llm)
        if not isinstance(self.llm, CausalLM):
            raise TypeError(f'llm must build a CausalLM, got {type(self.llm).__name__}')
        width = vision_width or getattr(self.qformer, 'encoder_width', None)
        if width is None:
            raise ValueError('give vision_width (the vision tokens\' width) when there is no '
                             'Q-Former')
        self.vision_width = width
        if vision_layernorm:
            eps = 1e-12 if vision_layernorm is True else float(vision_layernorm)
            self.vision_layernorm = nn.LayerNorm(width, eps=eps)
        else:
            self.vision_layernorm = nn.Identity()
        connector_width = self.qformer.width if self.qformer is not None else width
        self.llm_proj = nn.Linear(connector_width, self.llm.hidden_size)
        self.qformer_tokenizer = None
        if qformer_tokenizer is not None:
            tok = TOKENIZERS.build(dict(qformer_tokenizer))
            tok.truncation_side = 'left'
            tok.add_special_tokens({'bos_token': '[DEC]'})
            self.qformer_tokenizer = tok
        self.template = get_conversation_template(template)
        self.num_frames, self.image_size, self.max_txt_len = num_frames, image_size, max_txt_len
        self.generation_cfg = dict(max_new_tokens=100, do_sample=False, **(generation_cfg or {}))
        if freeze_vision:
            self.vision_encoder.requires_grad_(False)
        if freeze_qformer and self.qformer is not None:
            self.qformer.requires_grad_(False)

    # ------------------------------------------------------------------ encoding
    def encode_vision(self, video: torch.Tensor) -> torch.Tensor:
        """``(B, C, T, H, W)`` -> normalised vision tokens ``(B, N, C)``."""
        tokens = self.vision_encoder(video)
        if isinstance(tokens, (tuple, list)):
            tokens = tokens[0]
        if self.temporal_module is not None:
            b, _, t = video.shape[:3]
            tokens = self.temporal_module(tokens.reshape(b, t, -1, tokens.shape[-1]))
        return self.vision_layernorm(tokens.reshape(video.shape[0], -1, tokens.shape[-1]))

    def tokenize_instructions(self, instructions: Sequence[str], device: torch.device
                              ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Q-Former instruction ids / mask (``[CLS] ... [SEP]``, padded to the longest, LEFT
        truncated to ``max_txt_len``); ``(None, None)`` when the Q-Former takes no text."""
        if self.qformer is None or not getattr(self.qformer, 'text_input', False):
            return None, None
        if self.qformer_tokenizer is None:
            raise ValueError('this Q-Former takes an instruction: give qformer_tokenizer '
                             "(e.g. dict(type='BertTokenizer', vocab_file=...))")
        enc = self.qformer_tokenizer(list(instructions), padding='longest', truncation=True,
                                     max_length=self.max_txt_len, return_tensors='pt')
        return enc['input_ids'].to(device), enc['attention_mask'].to(device)

    def encode_media(self, video: torch.Tensor,
                     instructions: Sequence[str] | None = None) -> torch.Tensor:
        """Visual tokens for the LLM ``(B, N_visual, H_llm)``; ``instructions`` feed an
        instruction-aware Q-Former (``''`` or ``None``: no instruction)."""
        video = as_clip_batch(video)
        tokens = self.encode_vision(video)
        if self.qformer is not None:
            instructions = [''] * len(video) if instructions is None else list(instructions)
            ids, mask = self.tokenize_instructions(instructions, video.device)
            tokens = self.qformer.encode_queries(tokens, ids, mask)
        return self.llm_proj(tokens)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.encode_media(inputs)

    # ------------------------------------------------------------------ training
    def loss(self, inputs: torch.Tensor, data_samples: list | None = None
             ) -> dict[str, torch.Tensor]:
        """LM loss on the answers of instruction conversations (``conversation``,
        ``instruction``, ``media_type`` in each data sample's metainfo)."""
        if not data_samples:
            raise ValueError('video-LLM training needs data samples carrying the conversation '
                             '(InstructionDataset + PackActionInputs(meta_keys=...))')
        video = as_clip_batch(inputs)
        media = 'image' if video.shape[2] == 1 else 'video'
        convs, instructions = [], []
        for ds in data_samples:
            meta = ds.metainfo if hasattr(ds, 'metainfo') else ds
            declared = meta.get('media_type', media)
            if declared != media:
                raise ValueError(f'a {declared} sample reached the model as '
                                 f'{"one frame" if media == "image" else f"{video.shape[2]} frames"}'
                                 f': images are T=1 clips and videos need T > 1 (check the '
                                 f'pipeline\'s frame sampling)')
            convs.append(meta['conversation'])
            instructions.append(meta.get('instruction', ''))
        visual = self.encode_media(video, instructions)
        pieces = [self.template.split_for_training(c, media) for c in convs]
        batch = self.llm.training_inputs([p[0] for p in pieces], visual,
                                         [p[1] for p in pieces], self.template)
        if not (batch['labels'] != -100).any():
            raise ValueError('no supervised token left in this batch (the conversations were '
                             'truncated before the first answer): raise llm.max_txt_len')
        return dict(loss=self.llm(**batch).loss)

    # ------------------------------------------------------------------ generation
    def _prompt_embeds(self, segments: Sequence[str], visual: Sequence[torch.Tensor],
                       generation: dict | None = None) -> torch.Tensor:
        """The spliced prompt; with ``generation``, cut to its ``max_length`` (official chat:
        2000 tokens including the new ones, the START of the conversation is dropped)."""
        embeds = self.llm.splice(list(segments), [v.reshape(-1, v.shape[-1]) for v in visual])
        if generation is not None:
            max_length = generation.pop('max_length', 2000)
            over = embeds.shape[1] + generation.get('max_new_tokens', 100) - max_length
            if over > 0:
                print_log(f'the conversation ({embeds.shape[1]} tokens + '
                          f'{generation.get("max_new_tokens", 100)} new) exceeds max_length '
                          f'{max_length}: the model will not see its first {over} tokens',
                          logger='current', level=logging.WARNING)
                embeds = embeds[:, over:]
        return embeds

    def stream_answer(self, segments: Sequence[str], visual: Sequence[torch.Tensor],
                      **generation) -> Iterator[str]:
        """Answer text pieces for a prompt split at its placeholders (``segments``) with one
        ``(N, H_llm)`` visual-token block per placeholder; joined they equal
        :meth:`answer`. ``generation``: ``max_new_tokens``, ``do_sample``, ``temperature``,
        ``top_p``, ``repetition_penalty``, ``num_beams``, ``max_length`` (2000: prompt + new
        tokens; a longer conversation loses its beginning, as in the official chat)."""
        generation = dict(generation)
        embeds = self._prompt_embeds(segments, visual, generation)
        text = AnswerText(self.llm, self.template)
        tokens = self.llm.stream(embeds, stop=self.template.stop_strings, **generation)
        try:
            for tok in tokens:
                piece = text.push(tok)
                if piece:
                    yield piece
        finally:
            tokens.close()  # stops the generation when the reader stops early
        rest = text.final()
        if rest:
            yield rest

    def answer(self, segments: Sequence[str], visual: Sequence[torch.Tensor],
               **generation) -> str:
        """The whole answer (see :meth:`stream_answer`)."""
        generation = dict(generation)
        embeds = self._prompt_embeds(segments, visual, generation)
        text = AnswerText(self.llm, self.template)
        for tok in self.llm.generate(embeds, stop=self.template.stop_strings, **generation):
            text.push(tok)
        return text.shown + text.final()

    def predict(self, inputs: torch.Tensor, data_samples: list | None = None) -> list:
        """Answers (``generation_cfg``) to each sample's ``question`` (metainfo; optional
        ``system``, ``instruction``, ``answer_prefill``), stored as ``pred_text``."""
        video = as_clip_batch(inputs)
        media = 'image' if video.shape[2] == 1 else 'video'
        for i, ds in enumerate(data_samples or []):
            meta = ds.metainfo
            conv = self.template.new(meta.get('system'))
            conv.add_media(media)
            conv.ask(meta['question'])
            prompt = conv.get_prompt(meta.get('answer_prefill'))
            segments = prompt.split(self.template.placeholder(media))
            visual = self.encode_media(video[i:i + 1], [meta.get('instruction', '')])
            answer = self.answer(segments, [visual[0]], **self.generation_cfg)
            ds.set_field(answer, 'pred_text', field_type='metainfo')
        return data_samples
