"""Gradio web UI to chat with a video-LLM about a video.

    .venv/bin/python tools/chat_ui.py CONFIG [CKPT] [--work-dir DIR] [--host H] [--port 7860]
        [--samples DIR] [--max-upload-mb 200]

Uploads are validated (size, extension, decoded by the core reader) and stored under
``WORK_DIR/uploads`` with generated names. Samples: the videos of ``--samples DIR``, or (by
default) three synthetic-world clips written to ``WORK_DIR/samples``. See docs/chat_frontends.md.
"""
from __future__ import annotations

import glob
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))
from mmvideofm.serving import cli  # noqa: E402


def parse_args(argv: list[str] | None = None):
    p = cli.chat_arg_parser(__doc__.splitlines()[0], port=7860, work_dir='work_dirs/chat_ui')
    p.add_argument('--samples', default=None,
                   help='folder of sample videos to offer (default: synthetic clips written '
                   'to WORK_DIR/samples)')
    p.add_argument('--title', default='mmvideofm video chat', help='page title')
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from mmvideofm.serving.uploads import VIDEO_EXTENSIONS
    from mmvideofm.serving.webui import build_ui, launch_ui, make_sample_videos

    store = cli.store_from_args(args)
    if args.samples is None:
        samples = make_sample_videos(osp.join(args.work_dir, 'samples'))
    elif not osp.isdir(args.samples):
        raise SystemExit(f'--samples {args.samples!r} is not a directory')
    else:
        samples = sorted(p for p in glob.glob(osp.join(args.samples, '*'))
                         if p.lower().endswith(VIDEO_EXTENSIONS))
    factory = cli.session_factory_from_config(args.config, args.checkpoint, args.device,
                                          args.num_frames)
    demo = build_ui(factory, store, samples, title=args.title)
    launch_ui(demo, store, host=args.host, port=args.port)


if __name__ == '__main__':
    main()
