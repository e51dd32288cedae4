"""VideoChat2 stages 2 and 3 on the core :class:`BaseVideoLLM`: UMT -> ``vision_layernorm``
-> Q-Former (32 + 64 queries) -> projection -> LLM (official ``VideoChat2_pt_vicuna`` /
``VideoChat2_it_vicuna`` and the Mistral variant).

* Stage 2 (``stage=2``): queries only, LM loss on ``caption + end symbol`` after
  ``[BOS] ###Human: <Video>[visual tokens]</Video> {random caption prompt} ###Assistant: ``
  (here the BOS slot is the real BOS embedding); LLM frozen.
* Stage 3 (``stage=3``): instruction-aware Q-Former, LoRA on the LLM, the core's official
  training splice (constant BOS vector, answer-only labels).
* Evaluation / chat: the core's ``get_context_emb`` splice and greedy decoding that stops on
  the separator's token ids (:meth:`generate_ids` gives the raw ids the notebook sees).

Official names -> ours (the converter maps them): ``llama_model`` / ``mistral_model`` ->
``llm.model``, ``llama_proj`` / ``mistral_proj`` -> ``llm_proj``, ``query_tokens`` ->
``qformer.query_tokens``, ``vision_encoder.encoder`` -> ``vision_encoder``.
"""
from __future__ import annotations

import random
from collections.abc import Sequence

import torch

from mmvideofm.constants import IMAGENET_PREPROCESSOR
from mmvideofm.models.llm import BaseVideoLLM
from mmvideofm.models.llm.conversation import IMAGE_CAPTION_PROMPTS, VIDEO_CAPTION_PROMPTS
from mmvideofm.models.utils import as_clip_batch
from mmvideofm.registry import MODELS

from .common import build_qformer, build_qformer_tokenizer, register_stage_guard

__all__ = ['VideoChat2']


def _meta(sample, key: str, default=None):
    meta = sample.metainfo if hasattr(sample, 'metainfo') else sample
    value = meta.get(key, None)
    return default if value is None else value


@MODELS.register_module()
class VideoChat2(BaseVideoLLM):
    """VideoChat2 video LLM (https://arxiv.org/abs/2311.17005), stages 2 and 3.

    Args:
        vision_encoder: ``VideoChat2ViT`` config.
        qformer: Core ``QFormer`` config without ``encoder_width`` (``bert_config``,
            ``num_query_tokens`` 32, ``num_extra_query_tokens`` 64, ``text_input``: False in
            stage 2, True in stage 3); ``vocab_size`` follows the tokenizer (+ ``[DEC]``).
        llm: Core ``CausalLM`` config (``model``: a local folder or a config dict;
            ``tokenizer``; ``peft=dict(type='LoRA', r=16, alpha=32, dropout=0.1)`` in
            stage 3; ``max_txt_len`` 512).
        qformer_tokenizer: BERT tokenizer config (stage 3).
        stage: 2 (caption LM loss) or 3 (instruction tuning).
        freeze_vision / freeze_qformer: official ``freeze_vit`` / ``freeze_qformer`` (False
            in stages 2 and 3); frozen parts also stay in eval mode.
        caption_prompts / image_caption_prompts: stage-2 prompt lists (official
            ``prompts/concise_*description.txt``).
        **kwargs: :class:`BaseVideoLLM` arguments (``template``, ``num_frames``,
            ``image_size``, ``max_txt_len`` of the Q-Former instruction, ...).
    """

    default_data_preprocessor = IMAGENET_PREPROCESSOR

    def __init__(self,
                 vision_encoder: dict,
                 qformer: dict,
                 llm: dict,
                 qformer_tokenizer: dict | None = None,
                 stage: int = 3,
                 freeze_vision: bool = False,
                 freeze_qformer: bool = False,
                 caption_prompts: Sequence[str] = VIDEO_CAPTION_PROMPTS,
                 image_caption_prompts: Sequence[str] = IMAGE_CAPTION_PROMPTS,
                 **kwargs) -> None:
        if stage not in (2, 3):
            raise ValueError(f'VideoChat2 is the stage-2/3 model (stage=2 or 3), got {stage}; '
                             'stage 1 is VideoChat2QFormer')
        vision = MODELS.build(vision_encoder)
        text_input = qformer.get('text_input', True)
        if text_input and qformer_tokenizer is None:
            raise ValueError('an instruction-aware Q-Former (text_input=True) needs '
                             'qformer_tokenizer')
        vocab = len(build_qformer_tokenizer(qformer_tokenizer)) if text_input else None
        super().__init__(vision_encoder=vision, llm=llm,
                         qformer=build_qformer(qformer, vocab, vision.embed_dim),
                         qformer_tokenizer=qformer_tokenizer if text_input else None,
                         freeze_vision=freeze_vision, freeze_qformer=freeze_qformer, **kwargs)
        self.stage = stage
        self.freeze_vision_encoder, self.freeze_qformer = freeze_vision, freeze_qformer
        if freeze_vision:
            self.vision_layernorm.requires_grad_(False)
        self.caption_prompts = {'video': list(caption_prompts),
                                'image': list(image_caption_prompts)}
        self._rng = random.Random(kwargs.get('seed'))
        register_stage_guard(self, stage)
        self._register_load_state_dict_pre_hook(self._into_peft_layout)

    def _into_peft_layout(self, state: dict, prefix: str, *args, **kwargs) -> None:
        """Stage 2 -> 3: a checkpoint of the plain LLM (``llm.model.model.*``) loads into the
        PEFT-wrapped one (``llm.model.base_model.model.model.*``; the core CausalLM then moves
        LoRA-wrapped weights to ``base_layer``)."""
        if not hasattr(self.llm.model, 'peft_config'):
            return
        plain, wrapped = f'{prefix}llm.model.', f'{prefix}llm.model.base_model.model.'
        for key in [k for k in state if k.startswith(plain) and not k.startswith(wrapped)]:
            state[wrapped + key[len(plain):]] = state.pop(key)

    def train(self, mode: bool = True) -> VideoChat2:
        super().train(mode)
        if self.freeze_vision_encoder:
            self.vision_encoder.eval()
            self.vision_layernorm.eval()
        if self.freeze_qformer:
            self.qformer.eval()
        return self

    # ------------------------------------------------------------------ stage 2
    def caption_inputs(self, visual: torch.Tensor, captions: Sequence[str],
                       media: str = 'video') -> dict[str, torch.Tensor]:
        """Stage-2 batch (``VideoChat2_pt``): ``[BOS emb, prompt before, visual, prompt
        after, caption + end symbol, pad]``; only the caption and end symbol are supervised.
        One random prompt per batch, as officially."""
        llm, tok = self.llm, self.llm.tokenizer
        b, device = visual.shape[0], visual.device
        prompt = self._rng.choice(self.caption_prompts[media])
        before, after = self.template.caption_prompt(prompt, media).split(
            self.template.placeholder(media))
        prefix = llm.embed(llm.tokenize(before, bos=True)).to(device)  # real BOS embedding
        suffix = llm.embed(llm.tokenize(after)).to(device)
        ids = [llm.tokenize(self.template.caption_target(c))[:llm.max_txt_len] for c in captions]
        text = torch.full((b, max(len(x) for x in ids)), tok.pad_token_id, dtype=torch.long)
        for i, x in enumerate(ids):
            text[i, :len(x)] = x
        text = text.to(device)
        text_mask = torch.zeros_like(text)
        for i, x in enumerate(ids):
            text_mask[i, :len(x)] = 1
        n_prefix = len(prefix) + visual.shape[1] + len(suffix)
        embeds = torch.cat([prefix.expand(b, -1, -1), visual.to(prefix.dtype),
                            suffix.expand(b, -1, -1), llm.embed(text).to(device)], dim=1)
        ones = torch.ones(b, n_prefix, dtype=torch.long, device=device)
        return dict(inputs_embeds=embeds, attention_mask=torch.cat([ones, text_mask], 1),
                    labels=torch.cat([torch.full_like(ones, -100),
                                      text.masked_fill(text == tok.pad_token_id, -100)], 1))

    def loss(self, inputs: torch.Tensor, data_samples: list | None = None
             ) -> dict[str, torch.Tensor]:
        """Stage 3: the core's instruction loss; stage 2: the caption loss."""
        if self.stage == 3:
            return BaseVideoLLM.loss(self, inputs, data_samples)
        video = as_clip_batch(inputs)
        media = 'image' if video.shape[2] == 1 else 'video'
        captions = [_meta(s, 'text', _meta(s, 'caption')) for s in data_samples or []]
        if not captions or any(c is None for c in captions):
            raise KeyError('stage 2 needs a caption per sample (`text` or `caption` in the '
                           "data sample's metainfo)")
        batch = self.caption_inputs(self.encode_media(video), captions, media)
        return dict(loss=self.llm(**batch).loss)

    # ------------------------------------------------------------------ evaluation
    def context_embeds(self, video: torch.Tensor, prompt: str, instruction: str = '',
                       media: str = 'video') -> torch.Tensor:
        """Official ``get_context_emb``: ``(1, L, D_llm)`` for one clip ``(C, T, H, W)`` or
        ``(1, C, T, H, W)`` and a prompt with the placeholder."""
        placeholder = self.template.placeholder(media)
        if placeholder not in prompt:
            raise ValueError(f'the prompt has no {placeholder!r}: the visual tokens have '
                             f'nowhere to go: {prompt[:120]!r}')
        video = video[None] if video.ndim == 4 else video
        segments = prompt.split(placeholder)
        visual = self.encode_media(video, [instruction])[0]
        return self._prompt_embeds(segments, [visual] * (len(segments) - 1))

    @torch.no_grad()
    def generate_ids(self, video: torch.Tensor, prompt: str, instruction: str = '',
                     stop=None, media: str = 'video', **generation) -> list[int]:
        """New token ids (stop ids included), greedy by default (``max_new_tokens`` 100);
        ``stop``: strings / id sequences (default: the template's stop strings)."""
        embeds = self.context_embeds(video, prompt, instruction, media)
        return self.llm.generate(embeds, stop=self.template.stop_strings if stop is None
                                 else stop, **generation)

    def decode_answer(self, ids: Sequence[int]) -> str:
        """The notebook's ``answer()`` first step: drop a leading ``<unk>`` then ``<s>``,
        decode with special tokens kept."""
        ids = list(ids)
        tok = self.llm.tokenizer
        for special in (tok.unk_token_id, tok.bos_token_id):
            if ids and ids[0] == special:
                ids = ids[1:]
        return self.llm.decode(ids)
