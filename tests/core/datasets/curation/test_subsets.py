"""InternVid subsets: DIV as the official div_sampling.py, both FLT recipes, random, aesthetics;
statistics of the subsets the synthetic curation run wrote."""
import math
import os.path as osp
from collections import Counter

import numpy as np
import pytest

from mmvideofm.datasets.curation import (
    aesthetic_subset,
    div_sample,
    div_weights,
    flt_subset,
    format_timestamp,
    parse_timestamp,
    random_subset,
    read_jsonl,
)
from mmvideofm.datasets.curation.output import OFFICIAL_FIELDS


def rows(n: int = 60, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        vid = f'vid{int(rng.integers(0, 8)):08d}'  # 8 videos with very different clip counts
        start = float(rng.uniform(0, 100))
        dur = float(rng.choice([0.5, 3.0, 12.0, 150.0], p=[0.2, 0.4, 0.3, 0.1]))
        out.append(dict(YoutubeID=vid + ('x' if i % 2 else ''), Start_timestamp=format_timestamp(
            start), End_timestamp=format_timestamp(start + dur), Caption=f'clip {i}',
            UMT_Score=float(rng.uniform(0.2, 0.5)), Aesthetic_Score=float(rng.uniform(2, 7)),
            CLIP_Score=float(rng.uniform(0, 1)), i=i))
    return out


def test_timestamps_round_trip():
    assert format_timestamp(3.16) == '00:00:03.160'
    assert format_timestamp(3723.5) == '01:02:03.500'
    assert parse_timestamp('00:00:06.600') == pytest.approx(6.6)
    with pytest.raises(ValueError, match='HH:MM:SS.fff'):
        parse_timestamp('6.6s')


def test_div_weights_are_inverse_clip_counts_of_the_11_char_id():
    recs = rows()
    w = div_weights(recs)
    counts = Counter(r['YoutubeID'][:11] for r in recs)  # 'x' suffix ignored, as [:11]
    assert len(counts) <= 8
    expected = np.array([1 / counts[r['YoutubeID'][:11]] for r in recs])
    np.testing.assert_allclose(w, expected / expected.sum())
    # every video carries the same total weight
    per_video = Counter()
    for r, x in zip(recs, w):
        per_video[r['YoutubeID'][:11]] += x
    np.testing.assert_allclose(list(per_video.values()), 1 / len(counts))


def test_div_sample_reproduces_the_official_global_rng_draw():
    recs = rows()
    got = div_sample(recs, 25)
    # official div_sampling.py: np.random.seed(42); np.random.choice(n, N, replace=False, p=w)
    state = np.random.get_state()
    try:
        np.random.seed(42)
        ref = np.random.choice(len(recs), 25, replace=False, p=div_weights(recs))
    finally:
        np.random.set_state(state)
    assert [r['i'] for r in got] == ref.tolist()
    assert len({r['i'] for r in got}) == 25  # without replacement
    with pytest.raises(ValueError, match='without replacement'):
        div_sample(recs, 61)


def test_flt_paper_recipe_is_top30_umt_then_div():
    recs = rows()
    got = flt_subset(recs, recipe='paper')
    k = math.ceil(0.3 * len(recs))
    assert len(got) == k
    cut = sorted((r['UMT_Score'] for r in recs), reverse=True)[k - 1]
    assert all(r['UMT_Score'] >= cut for r in got)
    pool = [r for r in recs if r['UMT_Score'] >= cut]
    assert [r['i'] for r in got] == [r['i'] for r in div_sample(pool, k)]
    assert len(flt_subset(recs, num=5)) == 5


def test_flt_clipscore_recipe_filters_duration_then_top30_clipscore():
    recs = rows()
    got = flt_subset(recs, recipe='clipscore')
    pool = [r for r in recs if 1.0 <= parse_timestamp(r['End_timestamp']) -
            parse_timestamp(r['Start_timestamp']) <= 120.0]
    assert len(pool) < len(recs)  # the 0.5 s and 150 s clips go
    assert len(got) == math.ceil(0.3 * len(pool))
    cut = sorted((r['CLIP_Score'] for r in pool), reverse=True)[len(got) - 1]
    assert all(r['CLIP_Score'] >= cut for r in got)
    with pytest.raises(ValueError, match='recipe'):
        flt_subset(recs, recipe='nope')


def test_random_and_aesthetic_subsets():
    recs = rows()
    r1 = random_subset(recs, 10)
    assert len({r['i'] for r in r1}) == 10 and r1 == random_subset(recs, 10)
    aes = aesthetic_subset(recs)
    assert aes == [r for r in recs if r['Aesthetic_Score'] >= 4]


def test_synthetic_run_outputs_schema_and_subset_statistics(curated):
    work, summary, _ = curated
    rows_ = read_jsonl(osp.join(work, 'internvid.jsonl'))
    assert len(rows_) == summary['clips'] >= 30
    for r in rows_:
        assert list(r)[:6] == list(OFFICIAL_FIELDS)
        assert len(r['Start_timestamp']) == 12 and r['Start_timestamp'][8] == '.'
        assert -1 <= r['UMT_Score'] <= 1 and isinstance(r['Aesthetic_Score'], float)
        assert r['Caption'] == r['fine'] and r['coarse']  # oracle: both scales
    subsets = {n: read_jsonl(osp.join(work, 'subsets', f'{n}.jsonl')) for n in
               ('div', 'flt', 'flt_clipscore', 'random', 'aesthetic')}
    key = lambda r: (r['YoutubeID'], r['Start_timestamp'])  # noqa: E731
    # DIV: 20 distinct clips, favouring videos with few clips: per-video share flatter
    div = subsets['div']
    assert len(div) == 20 and len(set(map(key, div))) == 20
    per_all = Counter(r['YoutubeID'] for r in rows_)
    per_div = Counter(r['YoutubeID'] for r in div)
    assert len(per_div) >= min(len(per_all), 8)
    # FLT (paper, default): 30 % of the clips, all at or above the 70th UMT_Score percentile
    flt = subsets['flt']
    assert len(flt) == math.ceil(0.3 * len(rows_))
    cut = sorted((r['UMT_Score'] for r in rows_), reverse=True)[len(flt) - 1]
    assert min(r['UMT_Score'] for r in flt) >= cut
    # FLT (issue #91): the duration filter removed the clips under 1 s
    durs = {key(r): parse_timestamp(r['End_timestamp']) - parse_timestamp(r['Start_timestamp'])
            for r in rows_}
    short = [k for k, d in durs.items() if d < 1.0]
    assert short, 'the synthetic long videos include sub-second segments'
    assert all(1.0 <= durs[key(r)] <= 120.0 for r in subsets['flt_clipscore'])
    pool = [r for r in rows_ if 1.0 <= durs[key(r)] <= 120.0]
    assert len(subsets['flt_clipscore']) == math.ceil(0.3 * len(pool))
    assert len(subsets['random']) == 20
    assert subsets['aesthetic'] == [r for r in rows_ if r['Aesthetic_Score'] >= 4]
    assert summary['subsets'] == {n: len(v) for n, v in subsets.items()}
