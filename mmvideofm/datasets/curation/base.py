"""Stage interface, registries and helpers of the InternVid curation pipeline.

A stage is a registered class (``CURATION_STAGES``) built from its own config dict. It
processes one video at a time: ``process(video, inputs)`` gets the video (``key``, ``path``)
and the results earlier stages produced for it, and returns a JSON-serialisable dict; the
pipeline stores it as ``<work_dir>/stages/<stage name>/<key>.json`` (so a killed run resumes
per video per stage). Per-clip stages return lists aligned with the scene split's ``clips``.
A stage raises :class:`CurationError` (or ``VideoReadError``) for bad input: the pipeline
records the video in ``failures.jsonl`` with the stage and reason, and goes on.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import zlib
from typing import Any

import numpy as np
from mmengine.registry import Registry

from mmvideofm.registry import SCOPE

__all__ = ['CURATION_STAGES', 'CAPTION_BACKENDS', 'CurationStage', 'CurationError',
           'format_timestamp', 'parse_timestamp', 'atomic_write_json', 'clip_rng',
           'uniform_frame_indices', 'resolve_local_path']

#: curation stages: ``CURATION_STAGES.build(dict(type='SceneSplit', ...))``
CURATION_STAGES = Registry('curation stage', scope=SCOPE,
                           locations=['mmvideofm.datasets.curation'])
#: caption backends (image captioner + summariser): ``'OracleCaptioner'``, ...
CAPTION_BACKENDS = Registry('caption backend', scope=SCOPE,
                            locations=['mmvideofm.datasets.curation'])


class CurationError(RuntimeError):
    """A video cannot go through a stage; ``reason`` is recorded in ``failures.jsonl``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CurationStage:
    """Base class of a pipeline stage.

    Args:
        name: Folder of its per-video results (default: the class's ``default_name``).
        requires: Names of the stages whose results :meth:`process` reads.
    """

    default_name = ''
    default_requires: tuple[str, ...] = ()

    def __init__(self, name: str | None = None, requires: tuple[str, ...] | None = None
                 ) -> None:
        self.name = name or self.default_name
        self.requires = tuple(self.default_requires if requires is None else requires)
        self._is_setup = False

    def setup(self) -> None:
        """Load models or other heavy state (once per worker process, before the first video)."""

    def ensure_setup(self) -> CurationStage:
        """Run :meth:`setup` once; returns the stage."""
        if not self._is_setup:
            self.setup()
            self._is_setup = True
        return self

    def process(self, video: dict[str, Any], inputs: dict[str, dict]) -> dict[str, Any]:
        """Result of one video; ``inputs[name]`` holds earlier stages' results."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f'{type(self).__name__}(name={self.name!r})'


def format_timestamp(seconds: float) -> str:
    """``HH:MM:SS.fff`` (InternVid's ``Start_timestamp`` / ``End_timestamp``)."""
    ms = int(round(float(seconds) * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f'{h:02d}:{m:02d}:{s:02d}.{ms:03d}'


def parse_timestamp(stamp: str) -> float:
    """Seconds of an ``HH:MM:SS.fff`` timestamp."""
    try:
        h, m, s = stamp.split(':')
        return int(h) * 3600 + int(m) * 60 + float(s)
    except ValueError as e:
        raise ValueError(f'timestamp {stamp!r} is not HH:MM:SS.fff') from e


def atomic_write_json(path: str, obj: Any) -> None:
    """Write JSON so that a killed process leaves either the old file or the new one."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w') as f:
        json.dump(obj, f)
    os.replace(tmp, path)


def clip_rng(seed: int, key: str, clip_index: int) -> np.random.Generator:
    """A generator that depends only on (seed, video key, clip): same draws on any backend."""
    return np.random.default_rng([int(seed), zlib.crc32(key.encode()), int(clip_index)])


def uniform_frame_indices(start: int, end: int, num: int) -> np.ndarray:
    """``num`` frames at the centres of ``num`` equal segments of ``[start, end)``."""
    length = max(end - start, 1)
    return start + np.minimum((np.arange(num) + 0.5) * length / num, length - 1).astype(int)


def resolve_local_path(path: str | None, key: str) -> str:
    """Check that a model path given in the config exists locally (nothing is downloaded)."""
    if not path:
        raise ValueError(f'curation config key {key!r} is not set: give the local folder or '
                         'file of the model (nothing is downloaded at run time)')
    if not osp.exists(path):
        raise FileNotFoundError(f'curation config key {key!r}: local model path {path!r} does '
                                'not exist (nothing is downloaded at run time; download the '
                                'model once, e.g. with huggingface-cli, and point the key at '
                                'that folder)')
    return path
