"""Extract backbone features of a list of videos, one ``.npy`` per video.

    .venv/bin/python tools/extract_features.py CONFIG CKPT --video-list LIST --out DIR
        [--data-root ROOT] [--layer L] [--h5 FILE] [--device cuda] [--overwrite]
        [--text-list TEXTS]
    torchrun --nproc_per_node 8 tools/extract_features.py CONFIG CKPT ... --launcher pytorch

LIST has one video (file or frame folder) per line; mmaction2 list lines (``path label``,
``dir total_frames label``) work too: the first field is the path, relative to ``--data-root``
when given. Video ``k`` (its path as listed) is written to ``DIR/quote(k).npy`` (``/`` ->
``%2F``) through a temporary file and a rename, so a killed run never leaves half a file;
a rerun skips the videos already done. Under torchrun rank ``r`` of ``w`` takes the videos
``i % w == r``. Videos that cannot be read or processed are listed in ``DIR/failures.tsv``
(``path<TAB>reason``) and counted in the summary; the exit status is 3 when any failed.
``--h5 FILE`` finally gathers every ``.npy`` into one HDF5 file, one dataset per video key.
Arrays are float32 with the shapes of ``mmvideofm.apis.extract_features`` (``(V, C)`` pooled,
``(V, L, C)`` for ``--layer``; ``V`` = test views).
``--text-list TEXTS`` (video-text models, e.g. ViCLIP) also writes the L2-normalised embeddings
of its lines to ``DIR/texts.npy`` ``(N, E)`` (``mmvideofm.apis.extract_text_features``); with it
``--video-list`` may be left out.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import os
import os.path as osp
import sys
import traceback
from urllib.parse import quote

import numpy as np
import torch

FAILURES = 'failures.tsv'
# temporaries: '@' never occurs in an output name (percent-encoded), so they cannot clash
TMP_TAG = '@tmp'
_MAX_NAME = 200


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from mmvideofm.engine.runner_utils import DictAction

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', help='model config file')
    p.add_argument('checkpoint', nargs='?', default=None,
                   help='checkpoint (mmvideofm keys: convert official files first)')
    p.add_argument('--video-list', default=None, help='text file, one video path per line')
    p.add_argument('--text-list', default=None,
                   help='text file, one caption per line: save their embeddings to OUT/texts.npy')
    p.add_argument('--out', required=True, help='output folder for the .npy files')
    p.add_argument('--data-root', default='', help='folder the listed paths are relative to')
    p.add_argument('--layer', type=int, default=None,
                   help="block index whose tokens to save (default: the final pooled feature)")
    p.add_argument('--pipeline', default='test', choices=['test', 'val'],
                   help="which dataloader's pipeline prepares the videos")
    p.add_argument('--h5', default=None, help='also gather all features into this HDF5 file')
    p.add_argument('--device', default=None, help='cpu, cuda (default: cuda if available)')
    p.add_argument('--overwrite', action='store_true', help='recompute videos already done')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings')
    p.add_argument('--launcher', choices=['none', 'pytorch'], default='none',
                   help="'pytorch' under torchrun: each rank takes its share of the videos")
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return p.parse_args(argv)


def read_video_list(path: str) -> list[str]:
    """Video keys of a list file: the first field of each non-empty, non-comment line."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'video list not found: {path!r}')
    keys, seen = [], set()
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            key = line.split()[0]
            key = key[2:] if key.startswith('./') else key
            if key not in seen:  # a duplicate line would be extracted twice
                seen.add(key)
                keys.append(key)
    if not keys:
        raise ValueError(f'video list {path!r} has no videos')
    return keys


def output_name(key: str) -> str:
    """A file name for a video key, unique per key (percent-encoding, hashed when long)."""
    name = quote(key, safe='')
    if len(name) > _MAX_NAME:
        name = name[:_MAX_NAME - 41] + '-' + hashlib.sha1(key.encode()).hexdigest()
    return name + '.npy'


def save_atomic(path: str, array: np.ndarray) -> None:
    """``np.save`` to a temporary file in the same folder, then rename over ``path``."""
    tmp = f'{path}{TMP_TAG}{os.getpid()}'
    with open(tmp, 'wb') as f:
        np.save(f, array)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _reason(err: BaseException) -> str:
    reason = getattr(err, 'reason', None) or str(err) or repr(err)
    return f'{type(err).__name__}: {reason}'.replace('\t', ' ').replace('\n', ' ')


def _init_dist(launcher: str, device: str | None) -> tuple[int, int, str]:
    """(rank, world size, device); under torchrun joins a gloo (CPU) / nccl group."""
    cuda = torch.cuda.is_available() and (device is None or device.startswith('cuda'))
    if launcher == 'none':
        return 0, 1, device or ('cuda' if cuda else 'cpu')
    import torch.distributed as dist
    local_rank = int(os.environ.get('LOCAL_RANK', 0))
    if cuda:
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend='nccl' if cuda else 'gloo')
    return dist.get_rank(), dist.get_world_size(), f'cuda:{local_rank}' if cuda else 'cpu'


def _barrier(world_size: int) -> None:
    if world_size > 1:
        torch.distributed.barrier()


def _sum_over_ranks(values: list[int], world_size: int) -> list[int]:
    t = torch.tensor(values, dtype=torch.long)
    if world_size > 1:
        torch.distributed.all_reduce(t)
    return t.tolist()


def _merge_failures(out: str, keys: list[str]) -> int:
    """Rank files -> ``failures.tsv`` in list order; returns the count."""
    rows: dict[str, str] = {}
    rank_files = sorted(glob.glob(osp.join(out, 'failures.rank*.tsv')))
    for path in rank_files:
        with open(path) as f:
            for line in f:
                key, _, reason = line.rstrip('\n').partition('\t')
                rows[key] = reason
    order = {k: i for i, k in enumerate(keys)}
    lines = [f'{k}\t{rows[k]}\n' for k in sorted(rows, key=lambda k: order.get(k, len(order)))]
    target = osp.join(out, FAILURES)
    if lines:
        tmp = target + TMP_TAG + str(os.getpid())
        with open(tmp, 'w') as f:
            f.writelines(lines)
        os.replace(tmp, target)
    elif osp.exists(target):
        os.remove(target)
    for path in rank_files:
        os.remove(path)
    return len(lines)


def write_h5(path: str, out: str, keys: list[str]) -> int:
    """Gather ``out/<name>.npy`` of every key into one HDF5 file (dataset name = key)."""
    import h5py
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = path + TMP_TAG + str(os.getpid())
    count = 0
    with h5py.File(tmp, 'w') as f:
        for key in keys:
            npy = osp.join(out, output_name(key))
            if osp.isfile(npy):
                f.create_dataset(key, data=np.load(npy))
                count += 1
    os.replace(tmp, path)
    return count


def save_text_features(model, text_list: str, out: str) -> None:
    """Embeddings of the lines of ``text_list`` -> ``out/texts.npy`` (row i = line i)."""
    from mmvideofm.apis import extract_text_features
    if not osp.isfile(text_list):
        raise FileNotFoundError(f'text list not found: {text_list!r}')
    with open(text_list, encoding='utf-8') as f:
        texts = [line.rstrip('\n') for line in f if line.strip()]
    feats = extract_text_features(model, texts)
    save_atomic(osp.join(out, 'texts.npy'), feats.float().cpu().numpy())
    print(f'{len(texts)} texts -> {osp.join(out, "texts.npy")}', flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (args.video_list or args.text_list):
        raise SystemExit('extract_features: give --video-list and/or --text-list')
    from tqdm import tqdm

    from mmvideofm.apis import build_test_pipeline, extract_features, init_model

    rank, world_size, device = _init_dist(args.launcher, args.device)
    keys = read_video_list(args.video_list) if args.video_list else []
    os.makedirs(args.out, exist_ok=True)
    if rank == 0:  # leftovers of a killed run: temporaries and its failure lists
        for stale in glob.glob(osp.join(args.out, f'*{TMP_TAG}*')) + glob.glob(
                osp.join(args.out, 'failures.rank*.tsv')):
            os.remove(stale)
    _barrier(world_size)

    model = init_model(args.config, args.checkpoint, device=device,
                       cfg_options=args.cfg_options)
    if args.text_list and rank == 0:
        save_text_features(model, args.text_list, args.out)
    if not keys:
        return 0
    pipeline = build_test_pipeline(model.cfg, args.pipeline)
    mine = keys[rank::world_size]  # video i goes to rank i % world_size
    todo = [k for k in mine if args.overwrite or not osp.isfile(osp.join(args.out,
                                                                         output_name(k)))]
    skipped = len(mine) - len(todo)
    if skipped:
        print(f'[rank {rank}] skipping {skipped} of {len(mine)} videos already done in '
              f'{args.out} (--overwrite recomputes them)', flush=True)

    failures_path = osp.join(args.out, f'failures.rank{rank}.tsv')
    done = failed = 0
    bar = tqdm(todo, desc=f'features [rank {rank}]' if world_size > 1 else 'features',
               unit='video', position=rank, disable=args.no_progress, dynamic_ncols=True)
    for key in bar:
        path = osp.join(args.data_root, key) if args.data_root else key
        try:
            feats = extract_features(model, path, layer=args.layer, test_pipeline=pipeline)
        except Exception as err:  # noqa: BLE001  (any bad video is logged, never dropped)
            with open(failures_path, 'a') as f:
                f.write(f'{key}\t{_reason(err)}\n')
            failed += 1
            tqdm.write(f'[rank {rank}] failed {key}: {_reason(err)}')
            if os.environ.get('MMVIDEOFM_DEBUG'):
                traceback.print_exc()
            continue
        save_atomic(osp.join(args.out, output_name(key)),
                    feats.detach().float().cpu().numpy())
        done += 1
    bar.close()

    done, skipped, failed = _sum_over_ranks([done, skipped, failed], world_size)
    _barrier(world_size)
    if rank == 0:
        failed = _merge_failures(args.out, keys)
        summary = (f'{len(keys)} videos: extracted {done}, skipped {skipped} (already done), '
                   f'failed {failed}' + (f' (see {osp.join(args.out, FAILURES)})'
                                         if failed else '') + f' -> {args.out}')
        if args.h5:
            n = write_h5(args.h5, args.out, keys)
            summary += f'; {n} arrays gathered in {args.h5}'
        print(summary, flush=True)
    _barrier(world_size)
    if world_size > 1:
        torch.distributed.destroy_process_group()
    return 3 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
