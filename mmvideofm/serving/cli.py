"""What ``tools/chat_ui.py`` and ``tools/serve.py`` share: the command line and building the
chat-session factory from a config (one model, a fresh session per user or request)."""
from __future__ import annotations

import argparse
import contextlib
import os.path as osp
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .uploads import UploadPolicy, UploadStore

__all__ = ['chat_arg_parser', 'session_factory_from_config', 'store_from_args', 'launched',
           'free_port']


def chat_arg_parser(description: str, port: int, work_dir: str) -> argparse.ArgumentParser:
    """Arguments of both front ends: CONFIG [CKPT], work dir, host/port, device, upload limit."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument('config', help='a video-LLM config, e.g. configs/_base_/models/'
                   'tiny_video_llm.py')
    p.add_argument('checkpoint', nargs='?', default=None,
                   help='checkpoint to load (default: the weights the config builds)')
    p.add_argument('--work-dir', default=work_dir,
                   help=f'uploads are stored under WORK_DIR/uploads (default: {work_dir})')
    p.add_argument('--host', default='127.0.0.1', help='address to listen on (default: '
                   '127.0.0.1; 0.0.0.0 exposes it to the network)')
    p.add_argument('--port', type=int, default=port, help=f'port (default: {port})')
    p.add_argument('--device', default='cpu', help='torch device for the model (default: cpu)')
    p.add_argument('--num-frames', type=int, default=None,
                   help="frames sampled per video (default: the config's)")
    p.add_argument('--max-upload-mb', type=float, default=200.0,
                   help='largest accepted video or image in MB (default: 200)')
    return p


def store_from_args(args: argparse.Namespace,
                    allowed_roots: tuple[str, ...] = ()) -> UploadStore:
    """The upload store under ``args.work_dir`` with the size limit from the command line."""
    if args.max_upload_mb <= 0:
        raise SystemExit(f'--max-upload-mb must be positive, got {args.max_upload_mb}')
    for root in allowed_roots:
        if not osp.isdir(root):
            raise SystemExit(f'--allowed-root {root!r} is not a directory')
    policy = UploadPolicy(max_bytes=int(args.max_upload_mb * 1024 * 1024),
                          allowed_roots=tuple(allowed_roots))
    return UploadStore(args.work_dir, policy)


def session_factory_from_config(config: str, checkpoint: str | None = None, device: str = 'cpu',
                                num_frames: int | None = None) -> Callable[[], Any]:
    """Build the model once; each call of the returned function gives a fresh
    :class:`~mmvideofm.apis.chat.ChatSession` over it (own video and history)."""
    from mmvideofm.apis.chat import ChatSession

    kw = {} if num_frames is None else {'num_frames': num_frames}
    base = ChatSession.from_config(config, checkpoint, device=device, **kw)

    def new_session() -> ChatSession:
        return ChatSession(base.model, num_frames=base.num_frames, device=device)

    return new_session


@contextlib.contextmanager
def launched(cmd: Sequence[str], port: int, log_path: str, ready_path: str = '/',
             timeout: float = 240, cwd: str | None = None,
             env: dict | None = None) -> Iterator[str]:
    """Run a front end (``cmd``, already given ``--port port``) in a subprocess; yields its base
    URL once ``ready_path`` answers 200, and stops it afterwards. Raises ``RuntimeError`` with
    the log's tail if it exits or does not answer in ``timeout`` seconds. For tests and the
    load benchmark."""
    log = open(log_path, 'w+')
    proc = subprocess.Popen(list(cmd), cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                            env=env)
    url = f'http://127.0.0.1:{port}'
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with urllib.request.urlopen(url + ready_path, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f'{" ".join(cmd[:3])} did not start:\n{log.read()[-3000:]}')
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def free_port() -> int:
    """A free local TCP port."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
