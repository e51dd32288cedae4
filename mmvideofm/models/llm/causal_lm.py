"""Causal-LM wrapper over transformers: visual-token splice, answer-only labels, generation
with stop sequences derived from the separator, token streaming, PEFT and tuning switches.

Follows VideoChat2's ``VideoChat2_it_vicuna.forward`` (training splice, label mask, the BOS
slot) and ``mvbench.ipynb``'s ``get_context_emb`` / ``answer`` (inference splice: BOS only on
the first segment; greedy or sampled decoding that stops on the separator's token ids).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from queue import Queue

import torch
from torch import nn
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
from transformers.generation import BaseStreamer, StoppingCriteria, StoppingCriteriaList
from transformers.tokenization_utils_sentencepiece import SentencePieceBackend

from mmvideofm.registry import MODELS, TOKENIZERS

from .conversation import ConversationTemplate, get_conversation_template
from .peft import apply_peft, set_tuning, upgrade_peft_keys

__all__ = ['CausalLM', 'LlamaSentencePieceTokenizer', 'build_llm_tokenizer', 'stop_token_ids',
           'StopOnTokenSequences', 'IGNORE_INDEX']

IGNORE_INDEX = -100


@TOKENIZERS.register_module()
class LlamaSentencePieceTokenizer(SentencePieceBackend):
    """LLaMA's legacy (slow, SentencePiece) tokenizer, as transformers 4.x ``LlamaTokenizer``
    with ``legacy=True``: one SentencePiece call per text chunk between special tokens (each
    chunk gets the dummy prefix ``▁``), BOS prepended, specials kept verbatim in ``decode``.

    The official VideoChat/VideoChat2 prompts (and their recorded ids) depend on exactly this
    behaviour; transformers 5's ``LlamaTokenizer`` (tokenizers backend) differs on leading
    spaces and special-token splits.

    Args:
        vocab_file: The SentencePiece ``tokenizer.model``.
        add_bos_token: Prepend BOS when ``add_special_tokens=True``.
        pad_token: Padding token (official: ``None`` -> set to EOS by the model).
    """

    vocab_files_names = {'vocab_file': 'tokenizer.model'}
    model_input_names = ['input_ids', 'attention_mask']

    def __init__(self, vocab_file: str, add_bos_token: bool = True, **kwargs) -> None:
        for name, tok in dict(bos_token='<s>', eos_token='</s>', unk_token='<unk>').items():
            kwargs.setdefault(name, tok)
        kwargs.setdefault('clean_up_tokenization_spaces', False)
        super().__init__(vocab_file=str(vocab_file), legacy=True,
                         special_tokens_pattern='bos' if add_bos_token else None, **kwargs)

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        """SentencePiece-decode each run of ordinary pieces; specials verbatim (legacy: a
        space before a run that follows ordinary text)."""
        out, run, prev_special = '', [], False
        for i, tok in enumerate(tokens):
            if tok in self.all_special_tokens:
                if not prev_special and i != 0:
                    out += ' '
                out += self.sp_model.decode(run) + tok
                run, prev_special = [], True
            else:
                run.append(tok)
                prev_special = False
        return out + self.sp_model.decode(run)


def build_llm_tokenizer(cfg: str | dict | None, model_path: str | None = None):
    """The LLM tokenizer from a TOKENIZERS config, a SentencePiece ``.model`` file, or a local
    folder (its ``tokenizer.model`` -> :class:`LlamaSentencePieceTokenizer`, else
    ``AutoTokenizer``); ``None`` = the model folder's. Nothing is downloaded."""
    if cfg is None:
        cfg = model_path
    if cfg is None:
        raise ValueError('the LLM needs a tokenizer: give tokenizer=<folder | tokenizer.model | '
                         'dict(type=...)> (a model built from a config dict has no folder)')
    if isinstance(cfg, dict):
        return TOKENIZERS.build(dict(cfg))
    path = str(cfg)
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, 'tokenizer.model')):
        path = os.path.join(path, 'tokenizer.model')
    if path.endswith('.model'):
        if not os.path.isfile(path):
            raise FileNotFoundError(f'SentencePiece model {path} not found')
        return LlamaSentencePieceTokenizer(path)
    return AutoTokenizer.from_pretrained(path, local_files_only=True)


def _encode(tokenizer, text: str, bos: bool = False) -> list[int]:
    return list(tokenizer(text, add_special_tokens=bos).input_ids)


def stop_token_ids(tokenizer, stop: str) -> list[list[int]]:
    """Token-id sequences that spell ``stop`` at the end of an answer, derived by tokenising
    it: on its own (SentencePiece's ``▁###``), glued to preceding text (``a###`` ->
    ``##``, ``#``) and after a newline (a tokenizer with a ``\n###`` piece, as the synthetic
    SentencePiece); a sequence ending with a shorter one is dropped. For LLaMA-7B and
    ``###`` this gives the official [835] and [2277, 29937]."""
    seqs = [_encode(tokenizer, stop)]
    for context in ('a', '.', '\n'):
        head = _encode(tokenizer, context)
        ids = _encode(tokenizer, context + stop)
        if ids[:len(head)] == head and ids[len(head):]:
            seqs.append(ids[len(head):])
    head, ids = _encode(tokenizer, 'a'), _encode(tokenizer, 'a\n' + stop)
    if ids[:len(head)] == head:
        seqs.append(ids[len(head):])
    unique = []
    for s in seqs:
        if s and s not in unique:
            unique.append(s)
    return [s for s in unique
            if not any(len(t) < len(s) and s[-len(t):] == t for t in unique)]


class StopOnTokenSequences(StoppingCriteria):
    """Stop when the generated ids end with one of the sequences (official
    ``StoppingCriteriaSub``: checked on batch row 0; the stop ids stay in the output)."""

    def __init__(self, sequences: Sequence[Sequence[int]]) -> None:
        super().__init__()
        self.sequences = [torch.tensor(s) for s in sequences if len(s)]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs
                 ) -> torch.BoolTensor:
        row = input_ids[0]
        done = any(len(row) >= len(s) and torch.equal(row[-len(s):].cpu(), s)
                   for s in self.sequences)
        return torch.full((input_ids.shape[0], ), done, dtype=torch.bool,
                          device=input_ids.device)


class _StopWhenSet(StoppingCriteria):
    """Stop every row once ``event`` is set (the consumer of a stream went away)."""

    def __init__(self, event: threading.Event) -> None:
        super().__init__()
        self.event = event

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs
                 ) -> torch.BoolTensor:
        return torch.full((input_ids.shape[0], ), self.event.is_set(), dtype=torch.bool,
                          device=input_ids.device)


class _QueueStreamer(BaseStreamer):
    """transformers streamer that hands each new token id to a queue (``None`` = done)."""

    def __init__(self) -> None:
        self.queue: Queue = Queue()
        self.error: BaseException | None = None

    def put(self, value: torch.Tensor) -> None:
        for tok in value.reshape(-1).tolist():
            self.queue.put(tok)

    def end(self) -> None:
        self.queue.put(None)


@MODELS.register_module()
class CausalLM(nn.Module):
    """A transformers causal LM that takes visual embeddings spliced into its token stream.

    Args:
        model: A local folder for ``AutoModelForCausalLM.from_pretrained`` (nothing is
            downloaded), or a config dict ``dict(model_type='llama', hidden_size=..., ...)``
            (random weights; tests and tiny demos).
        tokenizer: See :func:`build_llm_tokenizer` (``None`` = the model folder's).
        peft: Adapter config (:func:`~mmvideofm.models.llm.peft.build_peft_config`), e.g.
            ``dict(r=16, alpha=32, dropout=0.1)`` (LoRA) or
            ``dict(method='PrefixTuningConfig', num_virtual_tokens=8)``; implies
            ``tuning='peft'``.
        tuning: ``'frozen'`` (VideoChat2 stages 1-2), ``'peft'``, ``'partial'`` (with
            ``trainable`` regexes) or ``'full'``.
        trainable: Parameter-name regexes trained on top (``'partial'`` / ``'peft'``).
        gradient_checkpointing: transformers' activation checkpointing of the LLM layers.
        torch_dtype: Weights dtype (``'float16'``, ``'bfloat16'``; default float32).
        bos_embedding: What fills the training BOS slot: ``'ones'`` (official
            ``inputs_embeds[:, :1] = bos_token_id``: a constant vector of the BOS *id*, 1.0 for
            LLaMA) or ``'token'`` (the BOS token's embedding, as at inference).
        max_txt_len: Text tokens kept per training sample (besides the visual ones; 512).
    """

    def __init__(self, model: str | dict, tokenizer: str | dict | None = None, *,
                 peft: dict | None = None, tuning: str | None = None,
                 trainable: Sequence[str] = (), gradient_checkpointing: bool = False,
                 torch_dtype: str | None = None, bos_embedding: str = 'ones',
                 max_txt_len: int = 512) -> None:
        super().__init__()
        if bos_embedding not in ('ones', 'token'):
            raise ValueError(f"bos_embedding must be 'ones' (official) or 'token', got "
                             f'{bos_embedding!r}')
        dtype = getattr(torch, torch_dtype) if torch_dtype else None
        if isinstance(model, dict):
            cfg = dict(model)
            model_type = cfg.pop('model_type', None)
            if model_type is None:
                raise ValueError("a config-dict LLM needs model_type (e.g. 'llama', 'mistral')")
            cfg.setdefault('attn_implementation', 'eager')
            hf = AutoModelForCausalLM.from_config(AutoConfig.for_model(model_type, **cfg))
            if dtype is not None:
                hf = hf.to(dtype)
            model_path = None
        else:
            model_path = str(model)
            if not os.path.isdir(model_path):
                raise FileNotFoundError(f'LLM folder {model_path} not found (weights are never '
                                        f'downloaded; convert / copy them there first)')
            hf = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype,
                                                      local_files_only=True)
        self.tokenizer = build_llm_tokenizer(tokenizer, model_path)
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token  # official
        if gradient_checkpointing:
            if hasattr(hf, 'activation_checkpointing_enable'):  # transformers >= 5.2x
                hf.activation_checkpointing_enable(dict(use_reentrant=False))
            else:
                hf.gradient_checkpointing_enable(
                    gradient_checkpointing_kwargs=dict(use_reentrant=False))
        if peft is not None:
            hf = apply_peft(hf, peft)
        self.model = hf
        self.bos_embedding = bos_embedding
        self.max_txt_len = max_txt_len
        tuning = tuning or ('peft' if peft is not None else 'frozen')
        if tuning == 'peft' and peft is None:
            raise ValueError("tuning='peft' needs a peft config (e.g. LoRA: dict(r=16, "
                             "alpha=32, dropout=0.1))")
        self.tuning = tuning
        set_tuning(self.model, tuning, trainable)
        self._register_load_state_dict_pre_hook(self._upgrade_official_keys)

    # ------------------------------------------------------------------ pieces
    @property
    def hidden_size(self) -> int:
        return self.model.get_input_embeddings().embedding_dim

    @property
    def lora_modules(self) -> set[str]:
        """Names (relative to ``model``) of the LoRA-wrapped modules."""
        return {name for name, mod in self.model.named_modules() if hasattr(mod, 'lora_A')}

    def _upgrade_official_keys(self, state: dict, prefix: str, *args, **kwargs) -> None:
        upgrade_peft_keys(state, prefix + 'model.', self.lora_modules)

    def tokenize(self, text: str, bos: bool = False) -> torch.Tensor:
        """1-D ids of ``text`` (BOS prepended if ``bos``; never EOS)."""
        return torch.tensor(_encode(self.tokenizer, text, bos), dtype=torch.long)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """Token embeddings (the LLM's ``embed_tokens``)."""
        emb = self.model.get_input_embeddings()
        return emb(ids.to(emb.weight.device))

    def stop_sequences(self, stop: str | Sequence[str | Sequence[int]] | None
                       ) -> list[list[int]]:
        """Stop-id sequences: each stop string through :func:`stop_token_ids`; an explicit
        id sequence is taken as is."""
        stops = [stop] if isinstance(stop, str) else list(stop or [])
        out = []
        for s in stops:
            out += stop_token_ids(self.tokenizer, s) if isinstance(s, str) else [list(s)]
        return out

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids`` with special tokens kept (official ``answer``)."""
        return self.tokenizer.decode(list(ids), skip_special_tokens=False)

    # ------------------------------------------------------------------ inference splice
    def splice(self, segments: Sequence[str], visual: Sequence[torch.Tensor]) -> torch.Tensor:
        """``(1, L, H)``: ``seg0, visual0, seg1, visual1, ...``; BOS only on the first
        segment (official ``get_context_emb``). ``visual[i]`` is ``(N_i, H)``."""
        if len(segments) != len(visual) + 1:
            raise ValueError(f'{len(segments)} text segments need {len(segments) - 1} visual '
                             f'inputs, got {len(visual)}: one per video placeholder in the '
                             f'prompt')
        parts = []
        for i, seg in enumerate(segments):
            parts.append(self.embed(self.tokenize(seg, bos=i == 0)))
            if i < len(visual):
                parts.append(visual[i].to(parts[-1].dtype))
        return torch.cat(parts, dim=0)[None]

    # ------------------------------------------------------------------ training
    def training_inputs(self, before: Sequence[str], visual: torch.Tensor,
                        after: Sequence[str], template: ConversationTemplate | str
                        ) -> dict[str, torch.Tensor]:
        """The official training batch: ``[BOS slot, before, visual, after, eos padding]``.

        Args:
            before / after: Per-sample text before / after the visual tokens
                (:meth:`ConversationTemplate.split_for_training`).
            visual: ``(B, N, H)`` projected visual tokens.
            template: Its :meth:`~ConversationTemplate.supervised_mask` (the official label
                rule) picks the supervised tokens of ``after``: only the answers (and the
                separators that teach the model to stop).

        Returns ``inputs_embeds`` ``(B, L, H)``, ``attention_mask`` and ``labels`` ``(B, L)``,
        ``L = min(longest + 1, max_txt_len + N)``; longer samples lose their tail.
        """
        template = get_conversation_template(template)
        batch, num_visual, _ = visual.shape
        seqs, lens_before, targets = [], [], []
        for i in range(batch):
            ids_before = self.tokenize(before[i])
            ids_after = self.tokenize(after[i])
            supervised = torch.tensor(template.supervised_mask(
                after[i], lambda text: _encode(self.tokenizer, text)), dtype=torch.bool)
            target = ids_after.masked_fill(~supervised, IGNORE_INDEX)
            emb_before = self.embed(ids_before)
            seqs.append(torch.cat([emb_before, visual[i].to(emb_before.dtype),
                                   self.embed(ids_after)]))
            lens_before.append(len(ids_before))
            targets.append(target)
        txt_len = min(max(len(s) for s in seqs) + 1, self.max_txt_len + num_visual)
        device = visual.device
        pad = torch.full((batch, txt_len), self.tokenizer.pad_token_id, dtype=torch.long)
        inputs = self.embed(pad).clone()
        if self.bos_embedding == 'ones':
            inputs[:, :1] = self.tokenizer.bos_token_id  # official: the id as a constant vector
        else:
            inputs[:, :1] = self.embed(torch.tensor([self.tokenizer.bos_token_id]))
        mask = torch.zeros(batch, txt_len, dtype=torch.long, device=device)
        labels = torch.full((batch, txt_len), IGNORE_INDEX, dtype=torch.long, device=device)
        for i, seq in enumerate(seqs):
            n = min(len(seq), txt_len - 1)
            inputs[i, 1:n + 1] = seq[:n]
            mask[i, :n + 1] = 1
            start = lens_before[i] + num_visual
            if n > start:
                labels[i, start + 1:n + 1] = targets[i][:n - start].to(device)
        return dict(inputs_embeds=inputs, attention_mask=mask, labels=labels)

    def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, **kwargs):
        """The transformers model's output (``loss`` = token mean over supervised labels)."""
        return self.model(inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                          labels=labels, **kwargs)

    # ------------------------------------------------------------------ generation
    def _generate_kwargs(self, inputs_embeds: torch.Tensor, stop: str | Sequence | None,
                         max_new_tokens: int = 100, do_sample: bool = False,
                         temperature: float = 1.0, top_p: float = 0.9,
                         repetition_penalty: float = 1.0, num_beams: int = 1,
                         **extra) -> dict:
        if max_new_tokens < 1:
            raise ValueError(f'max_new_tokens must be >= 1, got {max_new_tokens}')
        kwargs = dict(inputs_embeds=inputs_embeds,
                      attention_mask=torch.ones(inputs_embeds.shape[:2], dtype=torch.long,
                                                device=inputs_embeds.device),
                      max_new_tokens=max_new_tokens, do_sample=do_sample,
                      num_beams=num_beams, repetition_penalty=repetition_penalty,
                      pad_token_id=self.tokenizer.pad_token_id,
                      eos_token_id=self.tokenizer.eos_token_id)
        if do_sample:
            kwargs.update(temperature=temperature, top_p=top_p)
        sequences = self.stop_sequences(stop)
        if sequences:
            kwargs['stopping_criteria'] = StoppingCriteriaList(
                [StopOnTokenSequences(sequences)])
        kwargs.update(extra)
        return kwargs

    def _generator(self, kwargs: dict) -> tuple[nn.Module, dict]:
        """The model that generates, and its inputs. peft's prompt-learning models cannot
        generate from ``inputs_embeds``: prompt tuning / p-tuning prepend their virtual token
        embeddings here and the base model generates."""
        cfg = getattr(self.model, 'active_peft_config', None)
        if cfg is None or not cfg.is_prompt_learning:
            return self.model, kwargs
        embeds, mask = kwargs['inputs_embeds'], kwargs['attention_mask']
        prompt = self.model.get_prompt(batch_size=embeds.shape[0])
        if not isinstance(prompt, torch.Tensor):
            # transformers' generate reads a non-empty cache as already covering the prompt
            # and skips inputs_embeds, so a key/value prefix cannot be handed to it
            raise NotImplementedError(
                f'generation with {cfg.peft_type} from visual embeddings is not supported '
                f'(training and forward are); use prompt tuning or LoRA to generate')
        virtual = torch.ones(embeds.shape[0], cfg.num_virtual_tokens, dtype=mask.dtype,
                             device=mask.device)
        kwargs['inputs_embeds'] = torch.cat([prompt.to(embeds.dtype), embeds], dim=1)
        kwargs['attention_mask'] = torch.cat([virtual, mask], dim=1)
        return self.model.get_base_model(), kwargs

    @torch.no_grad()
    def generate(self, inputs_embeds: torch.Tensor, stop: str | Sequence | None = None,
                 **generation) -> list[int]:
        """New token ids for one prompt ``(1, L, H)`` (stop ids included, as officially).

        ``generation``: ``max_new_tokens`` (100), ``do_sample`` (False = greedy),
        ``temperature``, ``top_p`` (0.9), ``repetition_penalty`` (1.0), ``num_beams``.
        """
        model, kwargs = self._generator(self._generate_kwargs(inputs_embeds, stop, **generation))
        return model.generate(**kwargs)[0].tolist()

    def generate_text(self, prompt: str, stop: str | Sequence[str] | None = None,
                      **generation) -> str:
        """Text-only generation (e.g. an LLM controller choosing tools): the new text after
        ``BOS + prompt``, without EOS, cut at the first stop string."""
        ids = self.generate(self.splice([prompt], []), stop=stop, **generation)
        if ids and ids[-1] == self.tokenizer.eos_token_id:
            ids = ids[:-1]
        text = self.decode(ids)
        for s in [stop] if isinstance(stop, str) else list(stop or []):
            text = text.split(s)[0]
        return text.strip()

    def stream(self, inputs_embeds: torch.Tensor, stop: str | Sequence | None = None,
               **generation) -> Iterator[int]:
        """Like :meth:`generate`, yielding each new token id as it is produced (generation
        runs in a background thread through a transformers streamer). Closing the iterator
        early (a client went away) stops the generation at its next step."""
        streamer = _QueueStreamer()
        cancel = threading.Event()
        model, kwargs = self._generator(
            self._generate_kwargs(inputs_embeds, stop, streamer=streamer, **generation))
        kwargs['stopping_criteria'] = StoppingCriteriaList(
            [*kwargs.get('stopping_criteria', []), _StopWhenSet(cancel)])

        def run() -> None:
            try:
                with torch.no_grad():
                    model.generate(**kwargs)
            except BaseException as err:  # re-raised in the consumer
                streamer.error = err
                streamer.end()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            while True:
                tok = streamer.queue.get()
                if tok is None:
                    break
                yield tok
        finally:
            cancel.set()
            thread.join()
        if streamer.error is not None:
            raise streamer.error
