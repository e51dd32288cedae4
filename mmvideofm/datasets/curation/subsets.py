"""Stage 4: InternVid's subsets, as registered samplers over clip records.

- ``div``: the official ``div_sampling.py``: each clip weighs ``1 / (clips of its YouTube
  id)`` (the id is the first 11 characters), the weights are normalised and ``num`` clips are
  drawn **without replacement** by ``np.random.choice`` after ``np.random.seed(42)`` (the
  legacy global generator, reproduced here by ``RandomState(seed)``; drawn order kept).
- ``flt``: 10M-FLT. The sources conflict (research notes), so both recipes are here:
  ``recipe='paper'`` (**default**): keep the top 30% by ``UMT_Score``, then DIV-sample
  (paper §3 and issue #75 agree, and it needs only fields of the released annotation);
  ``recipe='clipscore'`` (issue #91): drop clips under 1 s or over 120 s, keep the top 30% by
  ``CLIP_Score`` (OpenAI CLIP-L/14 on one random frame), then DIV-sample.
- ``random``: ``num`` clips uniformly without replacement (10M / 50M / 200M).
- ``aesthetic``: ``Aesthetic_Score >= 4`` (Aesthetics-18M).
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from mmengine.registry import Registry

from mmvideofm.registry import SCOPE

from .base import parse_timestamp

__all__ = ['SUBSET_SAMPLERS', 'div_weights', 'div_sample', 'flt_subset', 'random_subset',
           'aesthetic_subset', 'top_fraction', 'build_subset']

#: subset samplers ``fn(records, **cfg) -> records``: ``div``, ``flt``, ``random``, ``aesthetic``
SUBSET_SAMPLERS = Registry('subset sampler', scope=SCOPE,
                           locations=['mmvideofm.datasets.curation'])

Record = dict[str, Any]


def _register(name: str) -> Callable:
    def deco(fn: Callable) -> Callable:
        SUBSET_SAMPLERS.register_module(name=name, module=fn)
        return fn
    return deco


def clip_duration(rec: Record) -> float:
    """Seconds between ``Start_timestamp`` and ``End_timestamp``."""
    return parse_timestamp(rec['End_timestamp']) - parse_timestamp(rec['Start_timestamp'])


def div_weights(records: Sequence[Record], id_key: str = 'YoutubeID', id_len: int = 11
                ) -> np.ndarray:
    """Normalised DIV weights: ``1 / (clips sharing the first id_len chars of id_key)``."""
    ids = [str(r[id_key])[:id_len] for r in records]
    counts = Counter(ids)
    w = np.array([1.0 / counts[i] for i in ids], dtype=np.float64)
    return w / w.sum()


@_register('div')
def div_sample(records: Sequence[Record], num: int, seed: int = 42, id_key: str = 'YoutubeID',
               id_len: int = 11) -> list[Record]:
    """``num`` clips drawn without replacement with :func:`div_weights` (official DIV)."""
    if not records:
        return []
    if num > len(records):
        raise ValueError(f'DIV cannot draw {num} clips without replacement from '
                         f'{len(records)}; lower num')
    idx = np.random.RandomState(seed).choice(len(records), num, replace=False,
                                             p=div_weights(records, id_key, id_len))
    return [records[i] for i in idx]


def top_fraction(records: Sequence[Record], key: str, fraction: float) -> list[Record]:
    """The ``ceil(fraction * n)`` records with the highest ``key`` (stable for ties)."""
    if not 0 < fraction <= 1:
        raise ValueError(f'fraction must be in (0, 1], got {fraction}')
    missing = [i for i, r in enumerate(records) if r.get(key) is None]
    if missing:
        raise KeyError(f'{len(missing)} records lack {key!r}: add the stage that scores it')
    order = sorted(range(len(records)), key=lambda i: -float(records[i][key]))
    keep = sorted(order[:math.ceil(fraction * len(records))])
    return [records[i] for i in keep]


@_register('flt')
def flt_subset(records: Sequence[Record], num: int | None = None, recipe: str = 'paper',
               fraction: float = 0.3, min_duration: float = 1.0, max_duration: float = 120.0,
               seed: int = 42, score_key: str | None = None) -> list[Record]:
    """10M-FLT: top ``fraction`` by score (after the duration filter for ``'clipscore'``),
    then DIV-sampled to ``num`` clips (None: all of the filtered pool, DIV-ordered)."""
    if recipe == 'paper':
        pool = list(records)
        key = score_key or 'UMT_Score'
    elif recipe == 'clipscore':
        pool = [r for r in records if min_duration <= clip_duration(r) <= max_duration]
        key = score_key or 'CLIP_Score'
    else:
        raise ValueError(f"FLT recipe must be 'paper' (top UMT_Score, then DIV) or 'clipscore' "
                         f'(issue #91: 1-120 s, top CLIP_Score, then DIV), got {recipe!r}')
    pool = top_fraction(pool, key, fraction) if pool else []
    return div_sample(pool, len(pool) if num is None else min(num, len(pool)), seed)


@_register('random')
def random_subset(records: Sequence[Record], num: int, seed: int = 42) -> list[Record]:
    """``num`` clips uniformly without replacement (the 10M / 50M / 200M subsets)."""
    idx = np.random.RandomState(seed).choice(len(records), min(num, len(records)),
                                             replace=False)
    return [records[i] for i in idx]


@_register('aesthetic')
def aesthetic_subset(records: Sequence[Record], threshold: float = 4.0,
                     key: str = 'Aesthetic_Score') -> list[Record]:
    """Clips with ``Aesthetic_Score >= threshold`` (Aesthetics-18M), in input order."""
    return [r for r in records if float(r[key]) >= threshold]


def build_subset(records: Sequence[Record], cfg: dict) -> list[Record]:
    """Apply the sampler ``cfg['type']`` with the rest of ``cfg`` as arguments."""
    cfg = dict(cfg)
    name = cfg.pop('type')
    fn = SUBSET_SAMPLERS.get(name)
    if fn is None:
        raise KeyError(f'unknown subset type {name!r}; registered: '
                       f'{sorted(SUBSET_SAMPLERS.module_dict)}')
    return fn(records, **cfg)
