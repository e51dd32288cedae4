"""Video-LLM data in the official VideoChat2 annotation formats (stage 3 instructions, stage 1/2
captions), read with the core video reader and pipelines.

Annotation files are JSON lists, one row per video or image:

- instructions (``InstructionDataset``): ``{"video"|"image": path, "QA": [{"i", "q", "a"}, ...],
  optional "start"/"end" (seconds)}``;
- captions (``CaptionDataset``): ``{"video"|"image": path, "caption": str}``.

Pipeline (training, 8 frames at 32 px; see ``configs/_base_/datasets/synthetic_instruction.py``)::

    dict(type='VideoInit'),                                  # images: a one-frame reader
    dict(type='InstructionSampleFrames', num_frames=8),      # official 'rand' / 'middle'
    dict(type='VideoDecode'),
    dict(type='mmaction.Resize', scale=(-1, 32)), dict(type='mmaction.CenterCrop', crop_size=32),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    dict(type='BuildConversation', template='vicuna_v0'),    # instructions only
    dict(type='mmaction.PackActionInputs', meta_keys=INSTRUCTION_META_KEYS),

Randomness (frame draws, QA order) uses python / numpy's global RNGs, which the training
sampler (``SeededAugmentationSampler``, wrapped around every train sampler by tools/train.py)
seeds per (run seed, rank, epoch, position): the QA order changes every epoch and a rerun or
resumed run draws the same orders.
"""
from __future__ import annotations

import json
import os.path as osp
import random
import re
from collections.abc import Callable, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.dataset import BaseDataset

from mmvideofm.models.llm.conversation import (
    ConversationTemplate,
    frame_seconds,
    frame_time_message,
    get_conversation_template,
)
from mmvideofm.registry import DATASETS, TRANSFORMS

from .video_io import VideoReader, VideoReadError
from .video_list_dataset import DATA_HINT, SkipBadSamplesMixin

__all__ = ['InstructionDataset', 'CaptionDataset', 'ImageReader', 'InstructionSampleFrames',
           'BuildConversation', 'shuffle_mcq_options', 'official_frame_indices', 'INSTRUCTION_META_KEYS',
           'CAPTION_META_KEYS', 'IMAGE_EXTENSIONS']

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')
#: what ``PackActionInputs`` should keep for the video-LLM models (data sample metainfo)
INSTRUCTION_META_KEYS = ('conversation', 'instruction', 'media_type', 'qa', 'frame_secs',
                         'filename', 'sample_idx')
CAPTION_META_KEYS = ('caption', 'text', 'video_idx', 'media_type', 'frame_secs', 'filename',
                     'sample_idx')
SAMPLE_TYPES = ('rand', 'middle')


class ImageReader(VideoReader):
    """An image file as a one-frame video (``(1, H, W, 3)`` uint8 RGB, fps 1)."""

    backend = 'image'

    def __init__(self, path: str) -> None:
        super().__init__(path)
        if not osp.isfile(path):
            raise VideoReadError(path, 'image file does not exist')

    def __len__(self) -> int:
        return 1

    @property
    def fps(self) -> float:
        return 1.0

    def _read(self, indices: np.ndarray) -> np.ndarray:
        import mmcv
        try:
            img = mmcv.imread(self.path)  # BGR; None when the bytes do not decode
        except OSError as e:
            raise VideoReadError(self.path, f'cannot open the image ({e})') from e
        if img is None or img.ndim != 3:
            raise VideoReadError(self.path, 'not a readable image')
        return np.stack([img[..., ::-1]] * len(indices))


class _MediaAnnotationDataset(SkipBadSamplesMixin, BaseDataset):
    """Rows ``{"video"|"image": path, <text fields>, optional "start"/"end"}`` from a JSON list.

    Args:
        ann_file: the JSON annotation file, or an official corpus entry
            ``[json, media_root]`` (images) / ``[json, media_root, 'video']`` (as in
            upstream's ``configs/instruction_data.py``), which sets ``data_prefix`` and
            ``media_type``.
        pipeline: transforms (see the module docstring).
        data_prefix: ``dict(video='folder')`` the media paths are relative to.
        media_type: ``'video'`` or ``'image'`` (every row must have that key, the official
            per-file setting), or None (each row's own key).
        skip_bad_samples: skip unreadable media (logged, counted) instead of raising.
        max_refetch: how many consecutive bad samples may be skipped for one index.
        **kwargs: mmengine ``BaseDataset`` arguments.
    """

    kind = 'annotation'

    def __init__(self, ann_file: str | Sequence[str], pipeline: Sequence[dict | Callable] = (),
                 data_prefix: dict | None = None, media_type: str | None = None,
                 skip_bad_samples: bool = False, max_refetch: int = 10, **kwargs) -> None:
        if not isinstance(ann_file, str):  # an official [json, root(, 'video')] corpus entry
            entry = list(ann_file)
            if len(entry) not in (2, 3) or (len(entry) == 3 and entry[2] != 'video'):
                raise ValueError(f"ann_file as a list must be [json, media_root] or [json, "
                                 f"media_root, 'video'] (upstream's corpus entries), got {entry}")
            ann_file, data_prefix = entry[0], dict(video=entry[1])
            media_type = 'video' if len(entry) == 3 else 'image'
        if media_type not in (None, 'video', 'image'):
            raise ValueError(f"media_type must be 'video', 'image' or None, got {media_type!r}")
        self.media_type = media_type
        self.skip_bad_samples = skip_bad_samples
        super().__init__(ann_file=ann_file, pipeline=list(pipeline),
                         data_prefix=data_prefix if data_prefix is not None else dict(video=''),
                         max_refetch=max_refetch, **kwargs)

    def load_data_list(self) -> list[dict]:
        if not self.ann_file or not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'{self.kind} annotation file {self.ann_file!r} does not exist '
                                    f'({type(self).__name__}); {DATA_HINT} (synthetic '
                                    f'video-LLM data: add --format instruction)')
        with open(self.ann_file) as f:
            try:
                rows = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f'{self.ann_file}: not valid JSON ({e})') from e
        if not isinstance(rows, list):
            raise ValueError(f'{self.ann_file}: expected a JSON list of rows, got '
                             f'{type(rows).__name__}')
        prefix = self.data_prefix.get('video') or ''
        data_list = []
        for k, row in enumerate(rows):
            where = f'{self.ann_file}: row {k}'
            if not isinstance(row, dict):
                raise ValueError(f'{where}: expected an object, got {type(row).__name__}')
            media = self._row_media(row, where)
            info = dict(filename=osp.join(prefix, row[media]), media_type=media, row_index=k)
            info.update(self.parse_text(row, where))
            if ('start' in row) != ('end' in row):
                raise ValueError(f"{where}: 'start' and 'end' go together, got only "
                                 f"{'start' if 'start' in row else 'end'}")
            if 'start' in row:
                if media == 'image':
                    raise ValueError(f"{where}: an image row cannot have 'start'/'end'")
                start, end = row['start'], row['end']
                if not all(isinstance(x, (int, float)) for x in (start, end)) or \
                        not 0 <= start < end:
                    raise ValueError(f"{where}: 'start'/'end' must be seconds with "
                                     f'0 <= start < end, got {start!r}/{end!r}')
                info.update(start=float(start), end=float(end))
            data_list.append(info)
        return data_list

    def _row_media(self, row: dict, where: str) -> str:
        keys = [m for m in ('video', 'image') if m in row]
        if len(keys) != 1:
            raise ValueError(f"{where}: needs exactly one of 'video' or 'image', got "
                             f'{sorted(row)}')
        media = keys[0]
        if self.media_type is not None and media != self.media_type:
            raise ValueError(f"{where}: has '{media}' but this dataset reads "
                             f"{self.media_type}s (media_type={self.media_type!r}); put "
                             f'{media}s in their own annotation file or set media_type=None')
        path = row[media]
        if not isinstance(path, str) or not path:
            raise ValueError(f'{where}: {media!r} must be a non-empty path, got {path!r}')
        is_image = path.lower().endswith(IMAGE_EXTENSIONS)
        if is_image != (media == 'image'):
            other = 'image' if is_image else 'video'
            raise ValueError(f"{where}: {path!r} looks like an {other} but is given as "
                             f"'{media}'; use the '{other}' key")
        return media

    def parse_text(self, row: dict, where: str) -> dict:
        """The row's text fields, checked (subclasses)."""
        raise NotImplementedError

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        if info['media_type'] == 'image':
            info['video_reader'] = ImageReader(info['filename'])
        return info


@DATASETS.register_module()
class InstructionDataset(_MediaAnnotationDataset):
    """Stage-3 instruction data in the official format, as video-LLM training samples.

    Each row becomes one sample whose packed data sample (``PackActionInputs`` with
    ``meta_keys=INSTRUCTION_META_KEYS``) carries in its metainfo:

    - ``conversation`` (str): the official training conversation, e.g.
      ``'i ###Human: <Video></Video> The video contains 8 frames sampled at 0.1, ... seconds.
      ###Human: q ###Assistant: a ###'`` (template ``vicuna_v0``; split it with
      ``ConversationTemplate.split_for_training`` and mask labels with ``supervised_mask``);
    - ``instruction`` (str): the QFormer instruction (``i + ' ' + q`` of the first QA, or '');
    - ``media_type``: ``'video'`` or ``'image'`` (an image is a T=1 clip: ``inputs`` has one
      frame and the conversation uses ``<Image></Image>``);
    - ``qa``: the QA list in the order used; ``frame_secs``: sampled frame times (str, s);
      ``filename``, ``sample_idx``.

    ``inputs`` is the uint8 clip as ``FormatShape`` leaves it (e.g. ``(1, 3, T, H, W)``).
    Args as :class:`_MediaAnnotationDataset`; a row with no ``QA``, an empty one or a pair
    without ``q``/``a`` strings is an error naming the file and row.
    """

    kind = 'instruction'

    def parse_text(self, row: dict, where: str) -> dict:
        qa = row.get('QA')
        if not isinstance(qa, list) or not qa:
            raise ValueError(f"{where}: needs a non-empty 'QA' list of {{'i', 'q', 'a'}}, got "
                             f'{qa!r}' + (" (a caption row: use CaptionDataset)"
                                          if 'caption' in row else ''))
        for j, turn in enumerate(qa):
            if not isinstance(turn, dict) or not all(
                    isinstance(turn.get(key), str) for key in ('q', 'a')) or \
                    not isinstance(turn.get('i', ''), str):
                raise ValueError(f"{where}: QA {j} needs string 'q' and 'a' (and optionally "
                                 f"'i'), got {turn!r}")
        return dict(qa=[dict(turn) for turn in qa])


@DATASETS.register_module()
class CaptionDataset(_MediaAnnotationDataset):
    """Stage-1/2 caption data in the official format (``{"video"|"image", "caption"}``).

    The packed metainfo (``meta_keys=CAPTION_META_KEYS``) carries ``caption`` and ``text``
    (the same string, for the video-text core), ``video_idx`` (the row: captions of one
    video are positives of each other in VTC), ``media_type``, ``frame_secs``, ``filename``.
    Stage 2 builds its prompt from ``ConversationTemplate.caption_prompt`` in the model,
    as upstream does.
    """

    kind = 'caption'

    def parse_text(self, row: dict, where: str) -> dict:
        caption = row.get('caption')
        if not isinstance(caption, str) or not caption.strip():
            raise ValueError(f"{where}: needs a non-empty 'caption' string, got {caption!r}"
                             + (" (an instruction row: use InstructionDataset)"
                                if 'QA' in row else ''))
        return dict(caption=caption, text=caption)

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        info['video_idx'] = info['row_index']
        return info


def official_frame_indices(num_frames: int, vlen: int, sample: str = 'rand') -> list[int]:
    """The official ``get_frame_indices`` ('rand' / 'middle'): ``num_frames`` segments of
    ``[0, vlen)``, one index per segment, padded with the last one for short videos.

    'rand' draws ``random.choice(range(a, b - 1))`` in each segment ``[a, b)`` (the segment's
    last frame is never drawn, as upstream) and falls back to a sorted random permutation when
    a segment has fewer than two frames; 'middle' takes ``(a + b - 1) // 2``.
    """
    if sample not in SAMPLE_TYPES:
        raise ValueError(f'sample must be one of {SAMPLE_TYPES}, got {sample!r}')
    if vlen <= 0:
        raise ValueError(f'cannot sample frames from {vlen} frames')
    n = min(num_frames, vlen)
    edges = np.linspace(0, vlen, n + 1).astype(int)
    ranges = [(int(a), int(b) - 1) for a, b in zip(edges[:-1], edges[1:])]
    if sample == 'rand':
        if all(b > a for a, b in ranges):
            inds = [random.choice(range(a, b)) for a, b in ranges]
        else:
            inds = sorted(int(x) for x in np.random.permutation(vlen)[:n])
    else:
        inds = [(a + b) // 2 for a, b in ranges]
    return inds + [inds[-1]] * (num_frames - len(inds))


@TRANSFORMS.register_module()
class InstructionSampleFrames(BaseTransform):
    """Official VideoChat2 frame sampling within the row's ``start``/``end`` window.

    Required keys: ``total_frames``, ``avg_fps`` (``VideoInit``), ``media_type``; optional
    ``start``/``end`` (seconds). Added: ``frame_inds``, ``clip_len``, ``num_clips`` (1),
    ``frame_interval`` (None), ``frame_secs`` (``str(round(index / fps, 1))`` per frame, the
    frame-time message's numbers). Images give one frame (``clip_len=1``).

    Args:
        num_frames: frames per clip (8 in stage 3, 4 in stage 1).
        sample: ``'rand'`` (training) or ``'middle'`` (testing).
    """

    def __init__(self, num_frames: int = 8, sample: str = 'rand') -> None:
        if sample not in SAMPLE_TYPES:
            raise ValueError(f'sample must be one of {SAMPLE_TYPES}, got {sample!r}')
        self.num_frames = int(num_frames)
        self.sample = sample

    def transform(self, results: dict) -> dict:
        total, fps = int(results['total_frames']), float(results['avg_fps'])
        name = results.get('filename', '<video>')
        if results.get('media_type', 'video') == 'image':
            inds = [0]
        else:
            offset, vlen = 0, total
            if 'start' in results and 'end' in results:  # upstream: int(duration * fps) frames
                offset = int(results['start'] * fps)
                vlen = int((results['end'] - results['start']) * fps)
                if offset >= total:
                    raise VideoReadError(name, f"window start {results['start']} s is past the "
                                               f'end of the video ({total} frames at {fps} fps)')
            if vlen <= 0:
                raise VideoReadError(name, f'no frames to sample (window of {vlen} frames)')
            # clamped: upstream's reader would fail on a window past the end of the file
            inds = [min(i + offset, total - 1)
                    for i in official_frame_indices(self.num_frames, vlen, self.sample)]
        results['frame_inds'] = np.asarray(inds, dtype=np.int64) + int(
            results.get('start_index', 0))
        results.update(clip_len=len(inds), num_clips=1, frame_interval=None,
                       frame_secs=frame_seconds(inds, fps))
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_frames={self.num_frames}, sample={self.sample!r})'


_OPTION_LINE = re.compile(r'^\(([A-Z])\) (.*)$', re.M)
_ANSWER_OPTION = re.compile(r'\(([A-Z])\) ')


def shuffle_mcq_options(turn: dict, rng: random.Random | None = None) -> dict:
    """``turn`` with its multiple-choice options in a new random order and the answer
    re-lettered: ``q`` holds ``(A) text`` lines (the MVBench options block), ``a`` the first
    ``(X) `` of the answer (``'Best option:(X) text'``). Other turns come back unchanged."""
    options = _OPTION_LINE.findall(turn['q'])
    found = _ANSWER_OPTION.search(turn['a'])
    letters = [letter for letter, _ in options]
    if len(options) < 2 or found is None or found.group(1) not in letters or \
            letters != [chr(ord('A') + k) for k in range(len(options))]:
        return dict(turn)
    texts = [text for _, text in options]
    order = list(range(len(texts)))
    (rng or random).shuffle(order)
    new_letter = chr(ord('A') + order.index(letters.index(found.group(1))))
    lines = iter(f'({chr(ord("A") + k)}) {texts[j]}' for k, j in enumerate(order))
    q = _OPTION_LINE.sub(lambda m: next(lines), turn['q'])
    a = turn['a'][:found.start()] + f'({new_letter}) ' + turn['a'][found.end():]
    return dict(turn, q=q, a=a)


@TRANSFORMS.register_module()
class BuildConversation(BaseTransform):
    """The official stage-3 conversation of a sample (``ITVidTrainDataset.__getitem__``).

    Required keys: ``qa``, ``media_type``, ``frame_secs`` (``InstructionSampleFrames``).
    Added: ``conversation``, ``instruction``; ``qa`` is replaced by the order used.

    Args:
        template: a conversation template name, dict or object (``'vicuna_v0'``,
            ``'mistral_inst'``, ``'videochat'``).
        system: training system text (must end with a space; '' upstream).
        add_second_msg: the frame-time message after the video tokens (videos only).
        random_shuffle: shuffle the QA order (python ``random``; seeded per sample and epoch
            by the training sampler).
        shuffle_options: not upstream (default off): re-order the options of multiple-choice
            pairs and re-letter the answer (:func:`shuffle_mcq_options`) every time a sample is
            loaded, so the answer letter is uniform and can only be read off the option text
            (a model trained from scratch otherwise memorises each clip's letter).
    """

    def __init__(self, template: str | dict | ConversationTemplate = 'vicuna_v0',
                 system: str = '', add_second_msg: bool = True,
                 random_shuffle: bool = True, shuffle_options: bool = False) -> None:
        self.template = get_conversation_template(template)
        self.system = system
        self.add_second_msg = add_second_msg
        self.random_shuffle = random_shuffle
        self.shuffle_options = shuffle_options

    def transform(self, results: dict) -> dict:
        if 'qa' not in results:
            raise KeyError("BuildConversation needs 'qa' (an InstructionDataset sample); "
                           f'got keys {sorted(results)}')
        qa = [dict(turn) for turn in results['qa']]
        if self.random_shuffle and len(qa) > 1:
            random.shuffle(qa)
        if self.shuffle_options:
            qa = [shuffle_mcq_options(turn) for turn in qa]
        media = results.get('media_type', 'video')
        msg = ''
        if self.add_second_msg and media == 'video':
            if 'frame_secs' not in results:
                raise KeyError('BuildConversation needs the sampled frame times (frame_secs): '
                               'sample frames with InstructionSampleFrames before it, or set '
                               'add_second_msg=False')
            msg = frame_time_message(results['frame_secs'])
        results['conversation'], results['instruction'] = self.template.training_conversation(
            qa, msg, media, self.system)
        results['qa'] = qa
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(system={self.system!r}, add_second_msg='
                f'{self.add_second_msg}, random_shuffle={self.random_shuffle}, '
                f'shuffle_options={self.shuffle_options})')

