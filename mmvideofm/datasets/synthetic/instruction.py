"""Export the synthetic world as video-LLM data in the official VideoChat2 formats, and the
synthetic SentencePiece tokenizer trained on that text.

Layout written by :func:`export_instruction_data` (``tools/data/make_synthetic.py --format
instruction``)::

    out/
      videos/<task>/<split>/000000.mp4   clips made for each synthetic task (+ <split>.json
                                          ground truth, <split>.txt list: the usual exporter)
      images/<split>/000000.png          first frames of some clips (image rows, T=1 clips)
      caption_<split>.json               stage 1/2: [{"video", "caption"}]
      caption_image_<split>.json         stage 1/2: [{"image", "caption"}] (same frames as it_image)
      it_caption_<split>.json            stage 3:   [{"video", "QA": [{"i", "q": "", "a": caption}]}]
      it_qa_<split>.json                 stage 3:   open questions of every task whose label
                                          is defined for the clip (several QA per row)
      it_mcq_<split>.json                stage 3:   MVBench-style multiple choice on the clip's
                                          task ("Best option:(X) answer", see below)
      it_image_<split>.json              stage 3:   [{"image", "QA"}] (objects on the frame)
      meta.json

Paths in the JSON files are relative to ``out`` (``data_prefix=dict(video=out)``). The
multiple-choice answer starts with the MVBench evaluation prefill without its ``(``
(``'Best option:(B) left'``), so the evaluation prompt's ``Best option:(`` is continued by the
letter the training taught; official VideoChat2-IT multiple-choice rows answer in their own
styles (e.g. ``'Answer: (B) ...'``).
"""
from __future__ import annotations

import json
import os
import os.path as osp
import zlib
from dataclasses import asdict
from typing import Any

import numpy as np

from mmvideofm.models.llm.conversation import (
    CONVERSATION_TEMPLATES,
    IMAGE_CAPTION_PROMPTS,
    MVBENCH_PROMPT,
    VIDEO_CAPTION_PROMPTS,
    MultipleChoicePrompt,
    frame_seconds,
    frame_time_message,
)

from ..video_io import available_video_codecs
from .export import export_split
from .structures import SPLITS, WorldConfig
from .tasks import TASKS
from .world import SyntheticWorld

__all__ = ['export_instruction_data', 'clip_instruction_rows', 'answer_phrase',
           'tokenizer_corpus', 'train_synthetic_tokenizer', 'SYNTHETIC_TOKENIZER_DIR',
           'INSTRUCTION_FILES', 'QA_INSTRUCTIONS']

#: the synthetic SentencePiece tokenizer shipped with the package (``tokenizer.model``;
#: ``LlamaTokenizer.from_pretrained(SYNTHETIC_TOKENIZER_DIR)``, ``SentencePieceTokenizer``)
SYNTHETIC_TOKENIZER_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'assets',
                                   'synthetic_llama_tokenizer')
#: ``tokenizer_config.json`` next to the model: transformers' ``LlamaTokenizer`` /
#: ``AutoTokenizer.from_pretrained(<dir>)`` then add BOS (not EOS) as LLaMA's does
TOKENIZER_CONFIG = dict(tokenizer_class='LlamaTokenizer', add_bos_token=True, add_eos_token=False,
                        bos_token='<s>', eos_token='</s>', unk_token='<unk>', pad_token=None,
                        legacy=True, model_max_length=1024)
KINDS = ('caption', 'caption_image', 'it_caption', 'it_qa', 'it_mcq', 'it_image')
#: names an instruction export writes under ``out`` (for make_synthetic.py's --overwrite)
INSTRUCTION_FILES = ('videos', 'images', 'meta.json',
                     *(f'{k}_{s}.json' for k in KINDS for s in ('train', 'val', 'test')))
QA_INSTRUCTIONS = ('Watch the video and answer the question.',
                   'Look at the moving shapes and answer the question.',
                   'Answer the question about the video.')
IMAGE_INSTRUCTION = 'Observe the image and answer the question.'
IMAGE_QUESTIONS = ('What objects are in the image?', 'Which shapes can you see?')
#: answers in words where a class name is not one
ANSWER_PHRASES: dict[str, dict[str, str]] = {
    'direction': {'static': 'nothing moves'},
    'event_order': {'color_change_first': 'the colour change',
                    'start_moving_first': 'the start of the motion'},
}


def answer_phrase(task: str, label: int, phrases: dict | None = None) -> str:
    """The answer of ``task`` for class ``label`` in words (``'up-left'``, ``'nothing moves'``);
    ``phrases`` (``{task: {class name: phrase}}``) override :data:`ANSWER_PHRASES`."""
    name = TASKS[task].classes[label]
    for table in ((phrases or {}).get(task, {}), ANSWER_PHRASES.get(task, {})):
        if name in table:
            return table[name]
    return name


def _question(task: str, rng: np.random.Generator, questions: dict | None) -> str:
    choices = (questions or {}).get(task)
    return str(rng.choice(choices)) if choices else TASKS[task].description


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ('' if text.endswith('.') else '.')


def _rng(seed: int, split: str, task: str, index: int) -> np.random.Generator:
    entropy = [int(seed), SPLITS[split], zlib.crc32(task.encode()), int(index), 7]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def _visible_objects(record: dict, frame: int = 0) -> str:
    names = [f'a {o["colors"][frame]} {o["shape"]}' for o in record['objects']
             if o['visible'][frame]]
    if not names:
        return 'nothing'
    return names[0] if len(names) == 1 else ', '.join(names[:-1]) + ' and ' + names[-1]


def clip_instruction_rows(record: dict, task: str, video: str, rng: np.random.Generator,
                          mcq: MultipleChoicePrompt = MVBENCH_PROMPT, num_options: int = 4,
                          phrases: dict | None = None, questions: dict | None = None
                          ) -> dict[str, dict[str, Any]]:
    """The annotation rows of one exported clip, by kind (``caption``, ``it_caption``,
    ``it_qa``, ``it_mcq``); ``record`` is its ground truth (``clip_record``), ``task`` the
    task it was made for, ``video`` its path relative to the export root. ``questions``
    (``{task: [question, ...]}``, one drawn per row; default: the task's description) and
    ``phrases`` (see :func:`answer_phrase`) restyle the questions and answers."""
    caption = record['caption']
    rows: dict[str, dict[str, Any]] = {
        'caption': dict(video=video, caption=caption),
        'it_caption': dict(video=video, QA=[dict(i=str(rng.choice(VIDEO_CAPTION_PROMPTS)),
                                                 q='', a=_sentence(caption))]),
    }
    labels = record['labels']
    instruction = str(rng.choice(QA_INSTRUCTIONS))
    qa = [dict(i=instruction, q=_question(t, rng, questions),
               a=_sentence(answer_phrase(t, labels[t], phrases)))
          for t in TASKS if labels.get(t, -1) >= 0]
    if qa:
        rows['it_qa'] = dict(video=video, QA=qa)
    label = labels[task]
    classes = TASKS[task].classes
    others = [k for k in range(len(classes)) if k != label]
    picked = [label] + [int(k) for k in rng.permutation(others)[:num_options - 1]]
    options = [answer_phrase(task, k, phrases) for k in rng.permutation(picked)]
    answer = answer_phrase(task, label, phrases)
    rows['it_mcq'] = dict(video=video, QA=[dict(
        i=mcq.system.strip(), q=mcq.question(_question(task, rng, questions), options),
        a=mcq.training_answer(options, answer))])
    return rows


def _image_row(world: SyntheticWorld, index: int, task: str, record: dict, out: str,
               split: str, rng: np.random.Generator) -> tuple[dict, dict]:
    import mmcv
    rel = f'images/{split}/{task}_{index:06d}.png'
    frame = world.sample(index, task).frames[0]
    mmcv.imwrite(np.ascontiguousarray(frame[..., ::-1]), osp.join(out, rel))
    objects = _sentence(_visible_objects(record))
    qa = [dict(i=IMAGE_INSTRUCTION, q=str(rng.choice(IMAGE_QUESTIONS)), a=objects)]
    return dict(image=rel, QA=qa), dict(image=rel, caption=objects[:-1])


def export_instruction_data(out: str, num_train: int = 200, num_val: int = 40,
                            num_test: int = 0, tasks: list[str] | None = None,
                            config: WorldConfig | None = None, seed: int = 0,
                            workers: int = 0, codec: str = 'auto', image_every: int = 4,
                            mcq: MultipleChoicePrompt | None = None, num_options: int = 4,
                            phrases: dict | None = None, questions: dict | None = None,
                            progress: bool = True) -> dict[str, Any]:
    """Export clips of every task in ``tasks`` (``num_<split>`` each) and their annotations.

    Args:
        out: output root (see the module docstring for the layout).
        num_train / num_val / num_test: clips per task and split.
        tasks: synthetic tasks (default: all of ``TASKS``).
        config: the world's look (``WorldConfig``).
        seed: world seed (clips and QA draws are pure functions of it).
        workers: export processes.
        codec: mp4 codec ('auto': lossless if available).
        image_every: every n-th clip also gives an image row (its first frame; 0: none).
        mcq: multiple-choice prompt pieces (default: MVBench's).
        num_options: options per multiple-choice question (at most the task's classes).
        phrases / questions: restyle answers / questions (see :func:`clip_instruction_rows`),
            e.g. to match a benchmark's wording.

    Returns:
        The meta written to ``meta.json`` (row counts per file).
    """
    tasks = list(TASKS) if tasks is None else list(tasks)
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise KeyError(f'unknown synthetic tasks {unknown}; choose from {list(TASKS)}')
    config = config or WorldConfig()
    mcq = mcq or MVBENCH_PROMPT
    if codec == 'auto':
        codec = available_video_codecs()[0]
    os.makedirs(out, exist_ok=True)
    sizes = dict(train=num_train, val=num_val, test=num_test)
    counts: dict[str, int] = {}
    for split, num in sizes.items():
        if num <= 0:
            continue
        files: dict[str, list[dict]] = {k: [] for k in KINDS}
        for task in tasks:
            world = SyntheticWorld(config, seed=seed, split=split)
            records = export_split(osp.join(out, 'videos', task), split, num, task, config, seed,
                                   workers, 'mp4', 'jpg', codec, progress)
            for i, rec in enumerate(records):
                rng = _rng(seed, split, task, i)
                video = f'videos/{task}/{rec["path"]}'
                for kind, row in clip_instruction_rows(rec, task, video, rng, mcq, num_options,
                                                       phrases, questions).items():
                    files[kind].append(row)
                if image_every and i % image_every == 0:
                    it_row, cap_row = _image_row(world, i, task, rec, out, split, rng)
                    files['it_image'].append(it_row)
                    files['caption_image'].append(cap_row)
        for kind, rows in files.items():
            with open(osp.join(out, f'{kind}_{split}.json'), 'w') as f:
                json.dump(rows, f, indent=0)
            counts[f'{kind}_{split}'] = len(rows)
    meta = dict(format='instruction', tasks=tasks, config=asdict(config), seed=seed,
                splits=sizes, codec=codec, rows=counts, mcq=asdict(mcq), phrases=phrases or {},
                questions=questions or {})
    with open(osp.join(out, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    return meta


# ---------------------------------------------------------------------- tokenizer
#: the templates whose conversations the tokenizer corpus holds (fixed, so registering a new
#: template does not change the shipped tokenizer; 'vicuna_v0_eval' has vicuna_v0's words)
CORPUS_TEMPLATES = ('vicuna_v0', 'mistral_inst', 'videochat')


def tokenizer_corpus(num_clips: int = 40, config: WorldConfig | None = None, seed: int = 0
                     ) -> list[str]:
    """Every kind of text a synthetic video LLM reads or writes: training conversations of
    all templates built from ``num_clips`` clips per task (captions, open QA, multiple choice,
    image QA, frame-time messages), chat/MVBench prompts and stage-2 caption prompts."""
    config = config or WorldConfig(num_frames=8, size=16)  # the text only: small renders
    world = SyntheticWorld(config, seed=seed, split='train')
    texts: list[str] = []
    for task in TASKS:
        for i in range(num_clips):
            clip = world.sample(i, task)
            rec = dict(clip.to_json(), path='')
            rng = _rng(seed, 'train', task, i)
            rows = clip_instruction_rows(rec, task, 'v.mp4', rng)
            img_row = dict(image='i.png', QA=[dict(i=IMAGE_INSTRUCTION, q=q, a=_sentence(
                _visible_objects(rec))) for q in IMAGE_QUESTIONS])
            n = (4, 8, 16)[i % 3]
            inds = np.linspace(0, 4 * config.num_frames - 1, n).round().astype(int)
            msg = frame_time_message(frame_seconds(inds, config.fps * (1 + i % 4)))
            for tpl in map(CONVERSATION_TEMPLATES.get, CORPUS_TEMPLATES):
                for row in [*rows.values(), img_row]:
                    media = 'image' if 'image' in row else 'video'
                    if 'QA' in row:
                        texts.append(tpl.training_conversation(
                            row['QA'], msg if media == 'video' else '', media)[0])
                    else:
                        texts.append(tpl.caption_prompt(str(rng.choice(
                            VIDEO_CAPTION_PROMPTS))) + tpl.caption_target(row['caption']))
                mc = rows['it_mcq']['QA'][0]
                texts.append(tpl.prompt(MVBENCH_PROMPT.system + mc['q'],
                                        system=MVBENCH_PROMPT.system,
                                        answer_prefill=MVBENCH_PROMPT.answer_prompt)
                             + mc['a'][len(MVBENCH_PROMPT.answer_prompt):] + tpl.stop_strings[0])
    for tpl in map(CONVERSATION_TEMPLATES.get, CORPUS_TEMPLATES):
        texts += [tpl.caption_prompt(p, 'image') for p in IMAGE_CAPTION_PROMPTS]
    return texts


def train_synthetic_tokenizer(out_dir: str = SYNTHETIC_TOKENIZER_DIR, vocab_size: int = 1000,
                              corpus: list[str] | None = None) -> str:
    """Train the synthetic SentencePiece BPE model (LLaMA conventions: unk 0, bos 1, eos 2,
    no pad, byte fallback, split digits, identity normalisation) and write
    ``out_dir/tokenizer.model`` (+ ``tokenizer_config.json``); deterministic (one thread, no
    sampling). Returns the model's path."""
    import io

    import sentencepiece as spm
    corpus = tokenizer_corpus() if corpus is None else corpus
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus), model_writer=model, vocab_size=vocab_size,
        model_type='bpe', character_coverage=1.0, byte_fallback=True, split_digits=True,
        normalization_rule_name='identity', remove_extra_whitespaces=False,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, num_threads=1, input_sentence_size=0,
        shuffle_input_sentence=False, max_sentence_length=8192, minloglevel=2)
    os.makedirs(out_dir, exist_ok=True)
    path = osp.join(out_dir, 'tokenizer.model')
    with open(path, 'wb') as f:
        f.write(model.getvalue())
    with open(osp.join(out_dir, 'tokenizer_config.json'), 'w') as f:
        json.dump(TOKENIZER_CONFIG, f, indent=1)
    return path
