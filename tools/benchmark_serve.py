"""Load test of the OpenAI-compatible chat server: requests/s and p50/p95 latency per number of
concurrent clients.

    .venv/bin/python tools/benchmark_serve.py CONFIG [CKPT] [--clients 1 4 16]
        [--requests-per-client 8] [--max-tokens 16] [--max-concurrency 1] [--out FILE.json]
    .venv/bin/python tools/benchmark_serve.py --url http://127.0.0.1:8000 --model NAME ...

Without ``--url``, ``tools/serve.py CONFIG`` is started on a free port (a separate process, so
the clients' threads do not share its interpreter). Every request carries a synthetic 32x32 clip as a
base64 data URL and asks for ``--max-tokens`` greedy tokens; each client sends its requests one
after another, and all clients start together. A refused (503) or failed request is counted,
not retried.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import os.path as osp
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', nargs='?', help='video-LLM config to serve in this process')
    p.add_argument('checkpoint', nargs='?', default=None)
    p.add_argument('--url', help='benchmark a running server instead (base URL)')
    p.add_argument('--model', default=None, help='model id (default: the first /v1/models)')
    p.add_argument('--clients', type=int, nargs='+', default=[1, 4, 16])
    p.add_argument('--requests-per-client', type=int, default=8)
    p.add_argument('--max-tokens', type=int, default=16)
    p.add_argument('--max-concurrency', type=int, default=1,
                   help='worker slots of the started server (default 1)')
    p.add_argument('--out', help='write the results as JSON here')
    args = p.parse_args(argv)
    if (args.url is None) == (args.config is None):
        p.error('give CONFIG (serve it here) or --url (a running server), not both')
    return args


@contextlib.contextmanager
def local_server(args: argparse.Namespace):
    """``tools/serve.py CONFIG`` in a subprocess (its own interpreter and GIL) on a free port."""
    from mmvideofm.serving.cli import free_port, launched

    port = free_port()
    cmd = [sys.executable, osp.join(REPO, 'tools', 'serve.py'), args.config,
           *([args.checkpoint] if args.checkpoint else []), '--port', str(port),
           '--max-concurrency', str(args.max_concurrency), '--max-queue', str(max(args.clients))]
    with tempfile.TemporaryDirectory() as work:
        cmd += ['--work-dir', work]
        with launched(cmd, port, osp.join(work, 'serve.log'), '/health', cwd=REPO) as url:
            yield url


def synthetic_clip_b64() -> str:
    from mmvideofm.datasets.synthetic import SyntheticWorld, WorldConfig
    from mmvideofm.datasets.video_io import write_video

    clip = SyntheticWorld(WorldConfig(num_frames=16, size=32), seed=0).sample(0, 'direction')
    with tempfile.TemporaryDirectory() as d:
        path = write_video(osp.join(d, 'clip.mp4'), clip.frames, fps=8)
        return 'data:video/mp4;base64,' + base64.b64encode(open(path, 'rb').read()).decode()


def run_level(client, model: str, video: str, clients: int, per_client: int,
              max_tokens: int) -> dict:
    """``clients`` threads, each sending ``per_client`` requests back to back."""
    import openai

    def one_client(i: int) -> list[tuple[float, bool]]:
        out = []
        for j in range(per_client):
            t0 = time.perf_counter()
            try:
                client.chat.completions.create(
                    model=model, max_tokens=max_tokens, temperature=0, messages=[{
                        'role': 'user', 'content': [
                            {'type': 'video_url', 'video_url': {'url': video}},
                            {'type': 'text', 'text': f'client {i} request {j}: what moves?'}]}])
                ok = True
            except openai.APIError:
                ok = False
            out.append((time.perf_counter() - t0, ok))
        return out

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = [r for rs in pool.map(one_client, range(clients)) for r in rs]
    wall = time.perf_counter() - t0
    lat = np.array([t for t, ok in results if ok])
    return dict(clients=clients, requests=len(results), ok=int(len(lat)),
                failed=len(results) - int(len(lat)), seconds=round(wall, 2),
                requests_per_s=round(len(lat) / wall, 2),
                p50_ms=round(float(np.percentile(lat, 50)) * 1e3, 1) if len(lat) else None,
                p95_ms=round(float(np.percentile(lat, 95)) * 1e3, 1) if len(lat) else None)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import openai

    video = synthetic_clip_b64()
    with (local_server(args) if args.url is None else contextlib.nullcontext(args.url)) as url:
        client = openai.OpenAI(base_url=url.rstrip('/') + '/v1', api_key='unused',
                               max_retries=0, timeout=600)
        model = args.model or client.models.list().data[0].id
        run_level(client, model, video, 1, 2, args.max_tokens)  # warm-up
        rows = []
        for c in args.clients:
            rows.append(run_level(client, model, video, c, args.requests_per_client,
                                  args.max_tokens))
            print(json.dumps(rows[-1]), flush=True)
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'\nmodel {model}, {args.max_tokens} new tokens, server slots '
          f'{args.max_concurrency if args.url is None else "?"}, {os.cpu_count()} CPUs, '
          f'load average {load:.1f}')
    print('| clients | requests | req/s | p50 latency (ms) | p95 latency (ms) | failed |')
    print('|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['clients']} | {r['requests']} | {r['requests_per_s']} | {r['p50_ms']} | "
              f"{r['p95_ms']} | {r['failed']} |")
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(model=model, max_tokens=args.max_tokens, cpus=os.cpu_count(),
                           load_average=load, results=rows), f, indent=1)


if __name__ == '__main__':
    main()
