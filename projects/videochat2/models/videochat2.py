"""VideoChat2 stages 2 and 3: UMT -> Q-Former -> ``llama_proj`` -> LLM (official
``VideoChat2_pt_vicuna`` / ``VideoChat2_it_vicuna`` and the Mistral variant).

* Stage 2 (``stage=2``): queries only, LM loss on ``caption + '###'`` after
  ``[BOS] ###Human: <Video>[visual tokens]</Video> {random caption prompt} ###Assistant: ``
  (the BOS slot is the real BOS embedding); LLM frozen.
* Stage 3 (``stage=3``): instruction-aware Q-Former, LoRA on the LLM; each conversation is
  split at ``</Video>`` (``</Image>`` for T == 1), the visual tokens go between, the batch is
  right-padded with the pad (= eos) embedding, position 0 holds the CONSTANT vector
  ``bos_token_id`` (1.0 in every dim, the official quirk, not the BOS embedding) and only
  the answers are supervised (the conversation template's ``supervised_mask``).
* Evaluation / chat (:meth:`generate`): the prompt is split at ``<VideoHere>``, the first
  segment gets the real BOS, greedy decoding stops on the tokenised separator.

The LLM and projection are ``llama_model`` / ``llama_proj`` (Vicuna) or ``mistral_model`` /
``mistral_proj`` (``llm_name='mistral'``), as in the official checkpoints.
"""
from __future__ import annotations

import random
from collections.abc import Sequence

import torch
from mmengine.logging import print_log
from torch import nn

from mmvideofm.constants import IMAGENET_PREPROCESSOR
from mmvideofm.models.algorithms import BaseVideoAlgorithm
from mmvideofm.models.llm import get_conversation_template
from mmvideofm.models.llm.conversation import IMAGE_CAPTION_PROMPTS, VIDEO_CAPTION_PROMPTS
from mmvideofm.models.llm.peft import apply_peft
from mmvideofm.models.text import build_tokenizer
from mmvideofm.models.utils import as_clip_batch
from mmvideofm.registry import MODELS

from .common import VisionTower, build_qformer, build_qformer_tokenizer, register_stage_guard
from .llm import build_causal_lm, decode, stop_criteria, text_ids

__all__ = ['VideoChat2']


def _meta(sample, key: str, default=None):
    if isinstance(sample, dict):
        return sample.get(key, default)
    value = sample.get(key, None) if hasattr(sample, 'get') else None
    if value is None and hasattr(sample, 'metainfo'):
        value = sample.metainfo.get(key, default)
    return default if value is None else value


@MODELS.register_module()
class VideoChat2(VisionTower, BaseVideoAlgorithm):
    """VideoChat2 video LLM (https://arxiv.org/abs/2311.17005), stages 2 and 3.

    Args:
        vision_encoder: ``VideoChat2ViT`` config.
        qformer: Core ``QFormer`` config (``bert_config``, ``num_query_tokens`` 32,
            ``num_extra_query_tokens`` 64, ``text_input`` True in stage 3).
        qformer_tokenizer: BERT tokenizer config (``[DEC]`` is added; left truncation).
        llm: Causal LM config: ``dict(config=dict(model_type='llama', ...))`` (tiny, tests)
            or ``dict(pretrained='<local folder>', torch_dtype='float16')``.
        llm_tokenizer: ``TOKENIZERS`` config of the LLM's tokenizer (SentencePiece).
        stage: 2 (caption LM loss) or 3 (instruction tuning).
        llm_name: ``'llama'`` or ``'mistral'``: attribute names of the LLM and projection.
        lora: LoRA config for the LLM (stage 3: ``dict(r=16, alpha=32, dropout=0.1)``;
            Mistral adds ``targets``); None = no LoRA.
        freeze_vision_encoder / freeze_qformer: official ``freeze_vit`` / ``freeze_qformer``
            (False in stages 2 and 3). The LLM base weights are always frozen.
        max_txt_len: LLM text budget (512) and the Q-Former instruction's max length.
        conversation: Conversation template name or config (``'vicuna_v0'``,
            ``'mistral_inst'``): training prompts, label rule, stop strings.
        caption_prompts / image_caption_prompts: stage-2 prompt lists.
        vision_layernorm_eps: 1e-12 (``vit_add_ln``).
    """

    default_data_preprocessor = IMAGENET_PREPROCESSOR

    def __init__(self,
                 vision_encoder: dict,
                 qformer: dict,
                 qformer_tokenizer: dict | None,
                 llm: dict,
                 llm_tokenizer: dict,
                 stage: int = 3,
                 llm_name: str = 'llama',
                 lora: dict | None = None,
                 freeze_vision_encoder: bool = False,
                 freeze_qformer: bool = False,
                 max_txt_len: int = 512,
                 conversation: str | dict = 'vicuna_v0',
                 caption_prompts: Sequence[str] = VIDEO_CAPTION_PROMPTS,
                 image_caption_prompts: Sequence[str] = IMAGE_CAPTION_PROMPTS,
                 vision_layernorm_eps: float = 1e-12,
                 seed: int | None = None,
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, seed=seed, init_cfg=init_cfg)
        if stage not in (2, 3):
            raise ValueError(f'VideoChat2 is the stage-2/3 model (stage=2 or 3), got {stage}; '
                             'stage 1 is VideoChat2QFormer')
        if llm_name not in ('llama', 'mistral'):
            raise ValueError(f"llm_name must be 'llama' or 'mistral', got {llm_name!r}")
        self.stage, self.llm_name = stage, llm_name
        self.vision_encoder = MODELS.build(vision_encoder)
        width = self.vision_encoder.embed_dim
        self.vision_layernorm = nn.LayerNorm(width, eps=vision_layernorm_eps)
        text_input = qformer.get('text_input', True)
        self.qformer_tokenizer = None
        if text_input:
            if qformer_tokenizer is None:
                raise ValueError('an instruction-aware Q-Former (text_input=True) needs '
                                 'qformer_tokenizer')
            self.qformer_tokenizer = build_qformer_tokenizer(qformer_tokenizer, 'left')
        self.qformer = build_qformer(
            qformer, len(self.qformer_tokenizer) if text_input else None, width)
        lm = build_causal_lm(llm)
        lm.requires_grad_(False)
        if lora:
            lm = apply_peft(lm, dict(lora))
        setattr(self, f'{llm_name}_model', lm)
        setattr(self, f'{llm_name}_proj', nn.Linear(self.qformer.width, lm.config.hidden_size))
        self.tokenizer = build_tokenizer(llm_tokenizer)
        self.conversation = get_conversation_template(conversation)
        self.max_txt_len = max_txt_len
        self.caption_prompts = {'video': list(caption_prompts),
                                'image': list(image_caption_prompts)}
        self.freeze_vision_encoder, self.freeze_qformer = freeze_vision_encoder, freeze_qformer
        if freeze_vision_encoder:
            self.vision_encoder.requires_grad_(False)
            self.vision_layernorm.requires_grad_(False)
        if freeze_qformer:
            self.qformer.requires_grad_(False)
        self._rng = random.Random(seed)
        register_stage_guard(self, stage)

    # ------------------------------------------------------------------ parts
    @property
    def llm(self) -> nn.Module:
        return getattr(self, f'{self.llm_name}_model')

    @property
    def llm_proj(self) -> nn.Module:
        return getattr(self, f'{self.llm_name}_proj')

    @property
    def num_visual_tokens(self) -> int:
        return self.qformer.num_output_tokens

    def train(self, mode: bool = True) -> VideoChat2:
        super().train(mode)
        for frozen, module in ((self.freeze_vision_encoder, self.vision_encoder),
                               (self.freeze_vision_encoder, self.vision_layernorm),
                               (self.freeze_qformer, self.qformer)):
            if frozen:
                module.eval()
        return self

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """LLM token embeddings (through the PEFT wrapper when there is one)."""
        return self.llm.get_input_embeddings()(ids)

    def text_ids(self, text: str, bos: bool = False) -> list[int]:
        """Token ids of ``text`` without special tokens (``bos``: prepend BOS)."""
        return text_ids(self.tokenizer, text, bos)

    # ------------------------------------------------------------------ encoders
    def encode_vision(self, video: torch.Tensor) -> torch.Tensor:
        """``(B, C, T, H, W)`` -> ``vision_layernorm`` tokens ``(B, T*L, C)``."""
        frames = self.encode_frames(video)
        return self.vision_layernorm(frames.flatten(1, 2))

    def qformer_text(self, instructions: Sequence[str], device
                     ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Instruction ids / mask (padding longest, LEFT truncation to ``max_txt_len``)."""
        if self.qformer_tokenizer is None:
            return None, None
        tok = self.qformer_tokenizer(list(instructions), padding='longest', truncation=True,
                                     max_length=self.max_txt_len, return_tensors='pt')
        return tok['input_ids'].to(device), tok['attention_mask'].to(device)

    def encode_img(self, video: torch.Tensor, instructions: Sequence[str] | None = None
                   ) -> torch.Tensor:
        """Visual tokens for the LLM ``(B, Nq + Ne, D_llm)`` (official ``encode_img``)."""
        vision = self.encode_vision(video)
        if instructions is None:
            instructions = [''] * video.shape[0]
        if len(instructions) != video.shape[0]:
            raise ValueError(f'{video.shape[0]} clips but {len(instructions)} instructions')
        ids, mask = self.qformer_text(instructions, video.device)
        return self.llm_proj(self.qformer.encode_queries(vision, ids, mask))

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.encode_img(as_clip_batch(inputs))

    # ------------------------------------------------------------------ training inputs
    def instruction_inputs(self, img_embeds: torch.Tensor, conversations: Sequence[str],
                           media: str = 'video'
                           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Stage 3 ``(inputs_embeds, attention_mask, labels)`` (official ``forward``)."""
        b, n_vis, _ = img_embeds.shape
        device = img_embeds.device
        rows, before_lens, targets = [], [], []
        for i, conv in enumerate(conversations):
            p_before, p_after = self.conversation.split_for_training(conv, media)
            before = torch.tensor(self.text_ids(p_before), dtype=torch.long, device=device)
            after_ids = self.text_ids(p_after)
            sup = self.conversation.supervised_mask(p_after, self.text_ids)
            after = torch.tensor(after_ids, dtype=torch.long, device=device)
            rows.append(torch.cat([self.embed(before), img_embeds[i], self.embed(after)]))
            before_lens.append(len(before))
            targets.append(after.masked_fill(~torch.tensor(sup, device=device), -100))
        txt_len = min(max(len(r) for r in rows) + 1, self.max_txt_len + n_vis)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None \
            else self.tokenizer.eos_token_id
        embeds = self.embed(torch.full((b, txt_len), pad, dtype=torch.long, device=device))
        embeds[:, :1] = self.tokenizer.bos_token_id  # the official constant BOS vector
        mask = torch.zeros(b, txt_len, dtype=torch.long, device=device)
        labels = torch.full((b, txt_len), -100, dtype=torch.long, device=device)
        for i, row in enumerate(rows):
            n = min(len(row), txt_len - 1)  # the tail is cut when too long
            embeds[i, 1:n + 1] = row[:n]
            mask[i, :n + 1] = 1
            start = before_lens[i] + n_vis + 1
            if n + 1 > start:
                labels[i, start:n + 1] = targets[i][:n + 1 - start]
        return embeds, mask, labels

    def caption_inputs(self, img_embeds: torch.Tensor, captions: Sequence[str],
                       media: str = 'video'
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Stage 2 ``(inputs_embeds, attention_mask, labels)`` (``VideoChat2_pt``)."""
        b, device = img_embeds.shape[0], img_embeds.device
        prompt = self._rng.choice(self.caption_prompts[media])
        before, after = self.conversation.caption_prompt(prompt, media).split(
            self.conversation.placeholder(media))
        wrap = [self.embed(torch.tensor(self.text_ids(p), dtype=torch.long, device=device))
                for p in (before, after)]
        prefix = torch.cat([self.embed(torch.tensor([self.tokenizer.bos_token_id],
                                                    device=device)), wrap[0]])
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None \
            else self.tokenizer.eos_token_id
        ids = [self.text_ids(self.conversation.caption_target(c))[:self.max_txt_len]
               for c in captions]
        width = max(len(x) for x in ids)
        text = torch.full((b, width), pad, dtype=torch.long, device=device)
        text_mask = torch.zeros(b, width, dtype=torch.long, device=device)
        for i, x in enumerate(ids):
            text[i, :len(x)] = torch.tensor(x)
            text_mask[i, :len(x)] = 1
        n_prefix = len(prefix) + img_embeds.shape[1] + len(wrap[1])
        embeds = torch.cat([prefix.expand(b, -1, -1), img_embeds,
                            wrap[1].expand(b, -1, -1), self.embed(text)], dim=1)
        mask = torch.cat([torch.ones(b, n_prefix, dtype=torch.long, device=device),
                          text_mask], dim=1)
        labels = torch.cat([torch.full((b, n_prefix), -100, dtype=torch.long, device=device),
                            text.masked_fill(text == pad, -100)], dim=1)
        return embeds, mask, labels

    # ------------------------------------------------------------------ API
    def loss(self, inputs: torch.Tensor, data_samples: list | None = None
             ) -> dict[str, torch.Tensor]:
        video = as_clip_batch(inputs)
        media = 'image' if video.shape[2] == 1 else 'video'
        for s in data_samples:
            given = _meta(s, 'media')
            if given is not None and given != media:
                raise ValueError(f'a sample says it is an {given} but its clip has '
                                 f'{video.shape[2]} frame(s) (an image is a 1-frame clip)')
        if self.stage == 2:
            embeds = self.encode_img(video)
            captions = [_meta(s, 'text', _meta(s, 'caption')) for s in data_samples]
            if any(c is None for c in captions):
                raise KeyError('stage 2 needs a caption per sample (`text` or `caption`)')
            embeds, mask, labels = self.caption_inputs(embeds, captions, media)
        else:
            convs = [_meta(s, 'conversation') for s in data_samples]
            if any(c is None for c in convs):
                raise KeyError('stage 3 needs `conversation` (and `instruction`) per sample: '
                               'use the instruction dataset')
            instr = [_meta(s, 'instruction', '') for s in data_samples]
            embeds = self.encode_img(video, instr)
            embeds, mask, labels = self.instruction_inputs(embeds, convs, media)
        if not (labels != -100).any():
            print_log('VideoChat2: no supervised token in this batch (the text was cut at '
                      'max_txt_len); the loss is 0 for it (officially NaN)', logger='current')
        out = self.llm(inputs_embeds=embeds, attention_mask=mask, labels=labels)
        loss = out.loss if (labels != -100).any() else out.logits.sum() * 0.
        return dict(loss_lm=loss)

    def context_embeds(self, video: torch.Tensor, prompt: str, instruction: str = '',
                       media: str = 'video') -> torch.Tensor:
        """Official ``get_context_emb``: the prompt split at the placeholder, BOS on the first
        segment only, the visual tokens between the segments -> ``(1, L, D_llm)``."""
        if video.ndim == 4:
            video = video[None]
        placeholder = self.conversation.placeholder(media)
        if placeholder not in prompt:
            raise ValueError(f'the prompt has no {placeholder!r}: the visual tokens have '
                             f'nowhere to go: {prompt[:120]!r}')
        video_emb = self.encode_img(video, [instruction])
        embs = []
        for k, (seg, bos) in enumerate(self.conversation.split_at_video(prompt, media)):
            if k:
                embs.append(video_emb)
            ids = torch.tensor(self.text_ids(seg, bos=bos), dtype=torch.long,
                               device=video_emb.device)
            embs.append(self.embed(ids[None]))
        return torch.cat(embs, dim=1)

    @torch.no_grad()
    def generate(self, video: torch.Tensor, prompt: str, instruction: str = '',
                 max_new_tokens: int = 100, media: str = 'video', do_sample: bool = False,
                 temperature: float = 1.0, top_p: float = 0.9, return_ids: bool = False,
                 **kwargs) -> str | tuple[str, torch.Tensor]:
        """Official ``get_context_emb`` + greedy ``generate`` + ``answer()``'s first step.

        Args:
            video: ``(1, C, T, H, W)`` or ``(C, T, H, W)`` (normalised).
            prompt: Full LLM prompt with the placeholder (``<VideoHere>``).
            instruction: Q-Former instruction.
        Returns:
            The decoded new tokens (leading ``<unk>`` / ``<s>`` dropped), as the notebook's
            ``answer()`` before its ``'###'`` / role split; with ``return_ids`` also the ids.
        """
        embs = self.context_embeds(video, prompt, instruction, media)
        device = embs.device
        out = self.llm.generate(
            inputs_embeds=embs, attention_mask=torch.ones(embs.shape[:2], dtype=torch.long,
                                                          device=device),
            max_new_tokens=max_new_tokens, do_sample=do_sample, num_beams=1, min_length=1,
            top_p=top_p, temperature=temperature, repetition_penalty=1.0, length_penalty=1,
            stopping_criteria=stop_criteria(self.tokenizer, self.conversation.stop_strings),
            eos_token_id=self.tokenizer.eos_token_id,
            pad_token_id=self.tokenizer.eos_token_id, **kwargs)
        ids = out[0]
        ids = ids[1:] if len(ids) and int(ids[0]) == 0 else ids  # <unk>
        ids = ids[1:] if len(ids) and int(ids[0]) == self.tokenizer.bos_token_id else ids
        text = decode(self.tokenizer, ids.tolist())
        return (text, out[0]) if return_ids else text
