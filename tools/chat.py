"""Chat with a video LLM about a video in the terminal (answers are streamed).

    .venv/bin/python tools/chat.py CONFIG [CKPT] (--video PATH | --image PATH)
        [--num-frames N] [--max-new-tokens 256] [--do-sample] [--temperature 1.0]
        [--top-p 0.9] [--repetition-penalty 1.0] [--device cpu] [--cfg-options K=V ...]

At the ``You:`` prompt type a question, or a command: ``/reset`` (forget the questions,
keep the video), ``/video PATH`` / ``/image PATH`` (talk about another one), ``/history``,
``/quit`` (or end of input). Example with the tiny random-weight model (random answers; it
proves the plumbing)::

    .venv/bin/python tools/chat.py configs/_base_/models/tiny_video_llm.py --video clip.mp4
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from typing import TextIO

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

HELP = ('commands: /reset (forget the questions), /video PATH, /image PATH, /history, '
        '/quit')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from mmvideofm.engine.runner_utils import DictAction

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', help='video-LLM config file')
    p.add_argument('checkpoint', nargs='?', default=None,
                   help='checkpoint (mmvideofm keys: convert official files first)')
    media = p.add_mutually_exclusive_group(required=True)
    media.add_argument('--video', help='video file or folder of frames to talk about')
    media.add_argument('--image', help='image file to talk about')
    p.add_argument('--num-frames', type=int, default=None,
                   help="frames sampled from the video (default: the model's)")
    p.add_argument('--max-new-tokens', type=int, default=256)
    p.add_argument('--do-sample', action='store_true',
                   help='sample (the official demo does) instead of greedy decoding')
    p.add_argument('--temperature', type=float, default=1.0)
    p.add_argument('--top-p', type=float, default=0.9)
    p.add_argument('--repetition-penalty', type=float, default=1.0)
    p.add_argument('--device', default='cpu', help='cpu, cuda, cuda:1, ...')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings')
    return p.parse_args(argv)


def _load(session, kind: str, path: str, out: TextIO) -> bool:
    """Load a video / image into the session; print a clear error and return False if not."""
    try:
        frames = session.load_video(path) if kind == 'video' else session.load_image(path)
    except (OSError, ValueError) as err:
        print(f'error: {err}', file=out, flush=True)
        return False
    print(f'[{kind} {path}: {len(frames)} frame(s) of {frames.shape[2]}x{frames.shape[1]}]',
          file=out, flush=True)
    return True


def main(argv: list[str] | None = None, stdin: TextIO | None = None,
         stdout: TextIO | None = None) -> int:
    args = parse_args(argv)
    stdin, out = stdin or sys.stdin, stdout or sys.stdout
    from mmvideofm.apis import ChatSession

    session = ChatSession.from_config(args.config, args.checkpoint, device=args.device,
                                      num_frames=args.num_frames,
                                      cfg_options=args.cfg_options)
    generation = dict(max_new_tokens=args.max_new_tokens, do_sample=args.do_sample,
                      repetition_penalty=args.repetition_penalty)
    if args.do_sample:
        generation.update(temperature=args.temperature, top_p=args.top_p)
    kind, path = ('video', args.video) if args.video else ('image', args.image)
    if not _load(session, kind, path, out):
        return 2
    print(HELP, file=out, flush=True)
    while True:
        print('You: ', end='', file=out, flush=True)
        line = stdin.readline()
        if not line:  # end of input
            print(file=out)
            return 0
        text = line.strip()
        if not text:
            continue
        if text in ('/quit', '/exit'):
            return 0
        if text == '/reset':
            session.reset()
            print('[conversation reset]', file=out, flush=True)
            continue
        if text == '/history':
            for q, a in session.history:
                print(f'  Q: {q}\n  A: {a}', file=out)
            continue
        if text.startswith(('/video ', '/image ')):
            cmd, _, arg = text.partition(' ')
            _load(session, cmd[1:], arg.strip(), out)
            continue
        if text.startswith('/'):
            print(f'unknown command {text.split()[0]!r}; {HELP}', file=out, flush=True)
            continue
        print('Assistant: ', end='', file=out, flush=True)
        for piece in session.stream(text, **generation):
            print(piece, end='', file=out, flush=True)
        print(file=out, flush=True)


if __name__ == '__main__':
    sys.exit(main())
