"""mmaction2-style video list dataset with clear errors and optional skipping of bad videos."""
from __future__ import annotations

import logging
import os.path as osp
from collections.abc import Callable

from mmaction.datasets import VideoDataset
from mmengine.fileio import list_from_file
from mmengine.logging import print_log

from mmvideofm.registry import DATASETS

from .hooks import SKIPPED_KEY
from .video_io import VideoReadError

DATA_HINT = ('point data_root / ann_file at your data, or create the synthetic set with '
             '`.venv/bin/python tools/data/make_synthetic.py --out <data_root>`')


SKIP_HINT = ('to skip unreadable videos instead (each one logged, the distinct files counted per '
             'epoch by BadSampleReportHook), set skip_bad_samples=True on the dataset, e.g. '
             '--cfg-options train_dataloader.dataset.skip_bad_samples=True '
             '(val_dataloader / test_dataloader for evaluation)')


class SkipBadSamplesMixin:
    """``skip_bad_samples``: replace a sample whose video cannot be read by the next one.

    Each bad file is logged once (file and reason) when this process first meets
    it and kept in ``bad_samples`` (file -> reason; ``num_skipped`` is their
    number); every skip is recorded in the returned data sample's
    ``skipped_samples`` metainfo, from which :class:`BadSampleReportHook` reports
    the distinct bad files of each epoch. Only :class:`VideoReadError` (missing /
    empty / corrupt / too short) and other ``OSError``s are skipped; any other
    exception is a bug and propagates. Without ``skip_bad_samples`` the error is
    raised with a hint naming the option.
    """

    skip_bad_samples: bool = False

    @property
    def bad_samples(self) -> dict[str, str]:
        """``{filename: reason}`` of the unreadable videos this process has met."""
        return self.__dict__.setdefault('_bad_samples', {})

    @property
    def num_skipped(self) -> int:
        """How many distinct unreadable videos this process has met."""
        return len(self.bad_samples)

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            self.full_init()
        skipped: list[tuple[str, str]] = []
        n = len(self)
        cur = idx
        for _ in range(self.max_refetch + 1):
            try:
                data = self.prepare_data(cur)
            except OSError as e:  # VideoReadError is an OSError
                if not self.skip_bad_samples:
                    _add_hint(e, SKIP_HINT)
                    raise
                fname = str(getattr(e, 'filename', None) or self.get_data_info(cur).get(
                    'filename', f'<sample {cur}>'))
                reason = str(getattr(e, 'reason', None) or e)
                nxt = (cur + 1) % n
                if fname not in self.bad_samples:  # retries of other indices: no new line
                    self.bad_samples[fname] = reason
                    print_log(f'skip_bad_samples: skipped sample {cur} ({fname}): {reason}; '
                              f'using sample {nxt} instead', logger='current',
                              level=logging.WARNING)
                skipped.append((fname, reason))
                cur = nxt
                continue
            if data is None:  # a transform rejected the sample (mmengine semantics)
                if self.test_mode:
                    raise RuntimeError(f'test-time pipeline returned None for sample {cur}')
                cur = self._rand_another()
                continue
            if skipped:
                _attach_skipped(data, skipped)
            return data
        raise RuntimeError(f'no readable sample found after {self.max_refetch + 1} tries '
                           f'starting at index {idx}; last skipped: {skipped[-1:]}')


def _add_hint(exc: OSError, hint: str) -> None:
    """Append ``hint`` to a VideoReadError's message (a note on other errors), once."""
    if isinstance(exc, VideoReadError):
        exc.hint = exc.hint or hint
    elif hint not in getattr(exc, '__notes__', ()):
        exc.add_note(hint)


def _attach_skipped(data, skipped: list[tuple[str, str]]) -> None:
    if isinstance(data, list) and data:  # VideoRepeatAugDataset: the copies of one video
        data = data[0]
    samples = data.get('data_samples') if isinstance(data, dict) else None
    if samples is not None and hasattr(samples, 'set_metainfo'):
        prev = list(samples.metainfo.get(SKIPPED_KEY, []))
        samples.set_metainfo({SKIPPED_KEY: prev + skipped})
    elif isinstance(data, dict):
        data[SKIPPED_KEY] = list(data.get(SKIPPED_KEY, [])) + skipped


@DATASETS.register_module()
class VideoListDataset(SkipBadSamplesMixin, VideoDataset):
    """Videos (files or frame folders) listed in an mmaction2 annotation file.

    Each line is ``relative/path.mp4 label`` (or mmaction2's rawframe form
    ``relative/frame_dir total_frames label``); paths are joined to
    ``data_prefix['video']`` (itself joined to ``data_root``).

    Args:
        ann_file: the list file.
        pipeline: transforms, e.g. ``VideoInit``, ``VideoSampleFrames``, ``VideoDecode``, ...
        data_prefix: ``dict(video='folder')`` holding the videos.
        skip_bad_samples: skip unreadable videos (logged, counted) instead of raising.
        max_refetch: how many consecutive bad samples may be skipped for one index.
        **kwargs: the rest of mmaction2's ``VideoDataset`` arguments.
    """

    def __init__(self, ann_file: str, pipeline: list[dict | Callable],
                 data_prefix: dict | None = None, skip_bad_samples: bool = False,
                 max_refetch: int = 10, **kwargs) -> None:
        self.skip_bad_samples = skip_bad_samples
        super().__init__(ann_file, pipeline=pipeline,
                         data_prefix=data_prefix if data_prefix is not None else dict(video=''),
                         max_refetch=max_refetch, **kwargs)

    def load_data_list(self) -> list[dict]:
        if self.data_root and not osp.isdir(self.data_root):
            raise FileNotFoundError(f'data root {self.data_root!r} does not exist '
                                    f'(VideoListDataset); {DATA_HINT}')
        if not self.ann_file or not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'annotation list file {self.ann_file!r} does not exist '
                                    f'(VideoListDataset); {DATA_HINT}')
        prefix = self.data_prefix.get('video') or ''
        if prefix and not osp.isdir(prefix):
            raise FileNotFoundError(f"video folder data_prefix['video']={prefix!r} does not "
                                    f'exist (VideoListDataset); {DATA_HINT}')
        data_list = []
        for lineno, line in enumerate(list_from_file(self.ann_file), 1):
            parts = line.strip().split(self.delimiter)
            if not parts or not parts[0]:
                continue
            try:
                if self.multi_class:
                    info = dict(filename=parts[0], label=[int(x) for x in parts[1:]])
                elif len(parts) == 1:
                    info = dict(filename=parts[0], label=-1)
                elif len(parts) == 2:
                    info = dict(filename=parts[0], label=int(parts[1]))
                elif len(parts) == 3:  # rawframe list: dir total_frames label
                    info = dict(filename=parts[0], total_frames=int(parts[1]),
                                label=int(parts[2]))
                else:
                    raise ValueError(f'{len(parts)} fields')
            except ValueError as e:
                raise ValueError(f'{self.ann_file}:{lineno}: cannot parse {line.strip()!r} '
                                 f"({e}); expected 'path label'") from e
            info['filename'] = osp.join(prefix, info['filename'])
            data_list.append(info)
        return data_list
