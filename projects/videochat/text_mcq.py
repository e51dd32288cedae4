"""VideoChat-Text on multiple-choice questions (the MVBench paper's ``VideoChat2_text`` row):
the video as perception text (any :data:`~.text.VIDEOCHAT_TEXT` steps; offline: the synthetic
ground-truth oracle), the official VideoChat-Text prompt with the MVBench question block as
the new input, then the MVBench answer prefill ``AI: Best option:(``.

* :class:`VideoChatTextLM` trains a chat LLM (any :class:`~mmvideofm.models.llm.CausalLM`) on
  such rows through mmengine's Runner (loss on the answer ``X) option`` + EOS only);
* :class:`VideoChatTextMCQDataset` + :class:`BuildVideoChatTextMCQ` make the rows (options
  re-shuffled on every fetch, so a letter carries no answer prior);
* :class:`VideoChatTextMVBenchAnswerer` answers MVBench items from cached perception text
  (``{"<task>/<video>": description fields}``, e.g. ``VideoChatText.watch`` over the videos,
  or the synthetic oracle's).
"""
from __future__ import annotations

import json
import random
from collections.abc import Sequence

import torch
from mmcv.transforms import BaseTransform
from mmengine.config import Config
from mmengine.dataset import BaseDataset
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import nn

from mmvideofm.checkpoint import load_converted_weights
from mmvideofm.models.llm import IGNORE_INDEX, MVBENCH_PROMPT, CausalLM
from mmvideofm.registry import DATASETS, MODELS, TRANSFORMS

from .text import AI_PREFIX, VideoDescription, build_prompt

__all__ = ['mcq_prompt', 'mcq_target', 'description_key', 'VideoChatTextLM',
           'VideoChatTextMCQDataset', 'BuildVideoChatTextMCQ', 'VideoChatTextMVBenchAnswerer']


def description_key(task: str, video: str) -> str:
    """Key of an item's cached perception text: ``'<task name>/<video file>'``."""
    return f'{task}/{video}'


def mcq_prompt(desc: dict | VideoDescription, question: str, candidates: Sequence[str]) -> str:
    """The official VideoChat-Text prompt (empty history) whose new input is the MVBench
    question block, then the answer prefill ``AI: Best option:(``."""
    if isinstance(desc, dict):
        desc = VideoDescription(**{k: (list(map(tuple, v)) if k == 'dense' else v)
                                   for k, v in desc.items()})
    asked = MVBENCH_PROMPT.question(question, candidates)
    return build_prompt(desc, asked) + f'{AI_PREFIX}: {MVBENCH_PROMPT.answer_prompt}'


def mcq_target(candidates: Sequence[str], answer: str) -> str:
    """What the prefill continues with: ``'X) answer'``."""
    option = MVBENCH_PROMPT.answer_option(candidates, answer)
    return option[len(MVBENCH_PROMPT.return_prompt):]


@DATASETS.register_module()
class VideoChatTextMCQDataset(BaseDataset):
    """Rows ``{description: {tags, second, dense, general, ...}, question, candidates,
    answer[, task]}`` from a JSON list (``ann_file``)."""

    def __init__(self, ann_file: str, pipeline: Sequence = (), **kwargs) -> None:
        super().__init__(ann_file=ann_file, pipeline=list(pipeline), serialize_data=False,
                         **kwargs)

    def load_data_list(self) -> list[dict]:
        with open(self.ann_file) as f:
            rows = json.load(f)
        for i, row in enumerate(rows):
            missing = {'description', 'question', 'candidates', 'answer'} - set(row)
            if missing:
                raise ValueError(f'{self.ann_file}: row {i} lacks {sorted(missing)}')
            if row['answer'] not in row['candidates']:
                raise ValueError(f'{self.ann_file}: row {i}: answer {row["answer"]!r} is not '
                                 f'among its candidates')
        return rows


@TRANSFORMS.register_module()
class BuildVideoChatTextMCQ(BaseTransform):
    """Row -> ``inputs`` (prompt text) and ``data_samples`` (``target`` / ``task`` meta).

    Args:
        shuffle: Draw a new option order on every fetch (training: no letter prior).
    """

    def __init__(self, shuffle: bool = True) -> None:
        self.shuffle = shuffle

    def transform(self, results: dict) -> dict:
        candidates = list(results['candidates'])
        if self.shuffle:
            random.shuffle(candidates)
        prompt = mcq_prompt(results['description'], results['question'], candidates)
        return dict(inputs=prompt, data_samples=BaseDataElement(metainfo=dict(
            target=mcq_target(candidates, results['answer']), task=results.get('task', ''))))


@MODELS.register_module()
class VideoChatTextLM(BaseModel):
    """The chat LLM of VideoChat-Text as a trainable mmengine model.

    Args:
        llm: :class:`CausalLM` config (e.g. a tiny LLaMA dict with ``tuning='full'``).
        max_len: Tokens kept per sample; a longer prompt loses its *start* (the fixed
            instructions), never the description end, question or answer.
    """

    def __init__(self, llm: dict | CausalLM, max_len: int = 1024,
                 data_preprocessor: dict | None = None, init_cfg: dict | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.llm = MODELS.build(llm) if isinstance(llm, dict) else llm
        self.max_len = max_len

    def _batch(self, prompts: Sequence[str], targets: Sequence[str]) -> dict:
        tok = self.llm.tokenizer
        seqs, labels = [], []
        for prompt, target in zip(prompts, targets):
            p = self.llm.tokenize(prompt, bos=True).tolist()
            t = self.llm.tokenize(target).tolist() + [tok.eos_token_id]
            p = p[:1] + p[1:][max(0, len(p) + len(t) - self.max_len):]
            seqs.append(p + t)
            labels.append([IGNORE_INDEX] * len(p) + t)
        n = max(map(len, seqs))
        ids = torch.full((len(seqs), n), tok.pad_token_id, dtype=torch.long)
        lab = torch.full((len(seqs), n), IGNORE_INDEX, dtype=torch.long)
        mask = torch.zeros((len(seqs), n), dtype=torch.long)
        for i, (s, la) in enumerate(zip(seqs, labels)):
            ids[i, :len(s)], lab[i, :len(s)], mask[i, :len(s)] = (
                torch.tensor(s), torch.tensor(la), 1)
        device = next(self.parameters()).device
        return dict(input_ids=ids.to(device), attention_mask=mask.to(device),
                    labels=lab.to(device))

    def forward(self, inputs: Sequence[str],
                data_samples: Sequence[BaseDataElement] | None = None, mode: str = 'loss'):
        if mode == 'loss':
            out = self.llm.model(**self._batch(inputs, [d.target for d in data_samples]))
            return dict(loss=out.loss)
        if mode == 'predict':
            for prompt, sample in zip(inputs, data_samples):
                sample.set_metainfo(dict(pred=self.complete(prompt)))
            return list(data_samples)
        raise ValueError(f'VideoChatTextLM has modes "loss" and "predict", got {mode!r}')

    @torch.no_grad()
    def complete(self, prompt: str, max_new_tokens: int = 32, stop: Sequence[str] = ('\n',)
                 ) -> str:
        """Greedy continuation of ``prompt`` (cut at ``stop``)."""
        return self.llm.generate_text(prompt, stop=list(stop), max_new_tokens=max_new_tokens)


@MODELS.register_module()
class VideoChatTextMVBenchAnswerer(nn.Module):
    """Answers MVBench items with VideoChat-Text (the harness builds it by name).

    Args:
        model: :class:`VideoChatTextLM` config, or the training config whose ``model`` it is.
        checkpoint: Its trained weights (ours, loaded safely).
        descriptions: JSON file ``{"<task>/<video>": description fields}``: the perception
            text of every item (VideoChat-Text's perception runs once per video).
        max_new_tokens: 32 (an option letter and its text).
    """

    def __init__(self, model: dict | str, descriptions: str, checkpoint: str | None = None,
                 max_new_tokens: int = 32) -> None:
        super().__init__()
        cfg = Config.fromfile(model).model if isinstance(model, str) else model
        self.model = MODELS.build(dict(cfg)).eval()
        if checkpoint:
            missing = load_converted_weights(self.model, checkpoint, lambda sd, m: sd)
            if missing:
                raise ValueError(f'{checkpoint} does not fit {type(self.model).__name__}: '
                                 f'missing {missing[:10]}')
        with open(descriptions) as f:
            self.descriptions = json.load(f)
        self.max_new_tokens = max_new_tokens

    @torch.no_grad()
    def generate(self, video: torch.Tensor, prompt) -> str:
        """The LLM's continuation of ``... AI: Best option:(`` (the harness prepends ``(``)."""
        meta = prompt.meta
        key = description_key(meta['task'], meta['video'])
        if key not in self.descriptions:
            raise KeyError(f'no description for {key!r} in the descriptions file: it was made '
                           'for another benchmark export')
        text = mcq_prompt(self.descriptions[key], meta['question'], meta['candidates'])
        return self.model.complete(text, max_new_tokens=self.max_new_tokens)
