"""OpenAI-compatible chat server for a video-LLM config (FastAPI + uvicorn).

    .venv/bin/python tools/serve.py CONFIG [CKPT] [--port 8000] [--allowed-root DIR ...]
        [--max-concurrency 1] [--max-queue 16] [--max-upload-mb 200] [--model-name NAME]

Endpoints: ``POST /v1/chat/completions`` (video as base64 data URL, uploaded file id or local
path under an ``--allowed-root``; ``stream`` for server-sent events), ``POST /v1/files``,
``GET /v1/models``, ``GET /health``. See docs/chat_frontends.md.
"""
from __future__ import annotations

import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))
from mmvideofm.serving import cli  # noqa: E402


def parse_args(argv: list[str] | None = None):
    p = cli.chat_arg_parser(__doc__.splitlines()[0], port=8000, work_dir='work_dirs/serve')
    p.add_argument('--allowed-root', action='append', default=[],
                   help='a directory whose videos clients may name by local path (repeatable; '
                   'default: none, local paths are refused)')
    p.add_argument('--model-name', default=None,
                   help="the id clients pass as `model` (default: the config's file stem)")
    p.add_argument('--max-concurrency', type=int, default=1,
                   help='requests generating at once (default: 1)')
    p.add_argument('--max-queue', type=int, default=16,
                   help='requests waiting for a slot before 503 (default: 16)')
    p.add_argument('--max-new-tokens-limit', type=int, default=1024,
                   help='largest max_tokens a request may ask for (default: 1024)')
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import uvicorn

    from mmvideofm.serving.server import ServerSettings, create_app

    store = cli.store_from_args(args, tuple(args.allowed_root))
    factory = cli.session_factory_from_config(args.config, args.checkpoint, args.device,
                                          args.num_frames)
    name = args.model_name or osp.splitext(osp.basename(args.config))[0]
    settings = ServerSettings(
        model_name=name, max_concurrency=args.max_concurrency, max_queue=args.max_queue,
        max_new_tokens_limit=args.max_new_tokens_limit,
        max_request_bytes=int(store.policy.max_bytes * 4 / 3) + (1 << 20))  # base64 + JSON
    app = create_app(factory, store, settings)
    print(f'serving {name!r} on http://{args.host}:{args.port}/v1 (uploads in {store.root})',
          flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level='info')


if __name__ == '__main__':
    main()
