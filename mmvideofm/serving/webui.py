"""Gradio web UI for any registered video-LLM: upload a video (or pick a sample), see the frames
the model sees, chat over several turns with streamed answers.

``build_ui(session_factory, store, samples=...)`` returns the ``gr.Blocks``; ``tools/chat_ui.py``
builds the session factory from a config and launches it. Uploads go through
:class:`~mmvideofm.serving.uploads.UploadStore` (size, extension, decoded by the core reader,
stored under the work dir with a generated name); its message is shown in the status line.
"""
from __future__ import annotations

import os
import os.path as osp
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .uploads import StoredMedia, UploadError, UploadStore

if TYPE_CHECKING:
    import gradio as gr

__all__ = ['build_ui', 'launch_ui', 'make_sample_videos', 'gallery_frames',
           'DEFAULT_GENERATION']

DEFAULT_GENERATION = dict(max_new_tokens=64, do_sample=False, temperature=1.0, top_p=0.9,
                          repetition_penalty=1.0)
_CSS = '#frames .thumbnail-item img, #frames img { image-rendering: pixelated; }'


def make_sample_videos(out_dir: str, num: int = 3, num_frames: int = 16, size: int = 64,
                       seed: int = 0) -> list[str]:
    """Write ``num`` synthetic-world clips (``direction`` task) as mp4 files; existing ones are
    kept. Returns their paths."""
    from mmvideofm.datasets.synthetic import SyntheticWorld, WorldConfig
    from mmvideofm.datasets.video_io import write_video

    os.makedirs(out_dir, exist_ok=True)
    world = SyntheticWorld(WorldConfig(num_frames=num_frames, size=size), seed=seed)
    paths = []
    for i in range(num):
        path = osp.join(out_dir, f'synthetic_direction_{i}.mp4')
        if not osp.exists(path):
            write_video(path + '.tmp.mp4', world.sample(i, task='direction').frames, fps=8)
            os.replace(path + '.tmp.mp4', path)
        paths.append(path)
    return paths


def gallery_frames(frames: np.ndarray, max_frames: int = 16, min_side: int = 96
                   ) -> list[tuple[np.ndarray, str]]:
    """``(frame, caption)`` pairs for the gallery; small frames are enlarged by pixel repeat."""
    arr = np.asarray(frames)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    step = max(1, int(np.ceil(len(arr) / max_frames)))
    scale = max(1, int(np.ceil(min_side / max(1, min(arr.shape[1:3])))))
    return [(np.repeat(np.repeat(f, scale, 0), scale, 1), f'frame {i}')
            for i, f in enumerate(arr) if i % step == 0]


def _describe(media: StoredMedia, frames: np.ndarray) -> str:
    src = (f'{media.num_frames} frames at {media.fps:.3g} fps, ' if media.kind == 'video'
           else 'image, ')
    return (f'**Loaded** `{media.original_name}`: {src}{media.width}x{media.height}; the model '
            f'sees {len(frames)} frame(s) (below). Ask a question.')


def build_ui(session_factory: Callable[[], Any], store: UploadStore,
             samples: Sequence[str] = (), title: str = 'mmvideofm video chat',
             generation: dict | None = None) -> gr.Blocks:
    """The Gradio app: upload / sample, frame gallery, streamed multi-turn chat, settings."""
    import gradio as gr

    gen0 = {**DEFAULT_GENERATION, **(generation or {})}
    samples = {osp.basename(p): p for p in samples}

    def load(path: str, name: str, state: dict | None, owned: bool):
        state = state or {}
        try:
            media = (store.save_file(path, name) if owned else store.open_trusted(path))
        except UploadError as e:
            return state, None, f'**Upload refused:** {e}', []
        session = state.get('session') or session_factory()
        try:
            frames = (session.load_video if media.kind == 'video' else session.load_image)(
                media.path)
        except Exception as e:  # the model's own loader refused it
            store.delete(media)
            return state, None, f'**Upload refused:** {type(e).__name__}: {e}', []
        session.reset()
        old = state.get('media')
        if old is not None and old.path != media.path:
            store.delete(old)
        state = {'session': session, 'media': media}
        return state, gallery_frames(frames), _describe(media, frames), []

    def on_upload(file: str | None, state: dict | None):
        if not file:
            return state, None, 'Upload a video, or pick a sample.', [], None
        # the file box is emptied again, ready for the next upload
        return *load(file, osp.basename(file), state, owned=True), None

    def on_sample(name: str | None, state: dict | None):
        if not name or name not in samples:
            return state, None, 'Upload a video, or pick a sample.', []
        return load(samples[name], name, state, owned=False)

    def on_ask(question: str, history: list, state: dict | None, max_new_tokens: int,
               do_sample: bool, temperature: float, top_p: float,
               repetition_penalty: float) -> Iterator:
        history = list(history or [])
        if not (state or {}).get('session'):
            yield history, question, '**Upload a video or pick a sample first.**'
            return
        if not question or not question.strip():
            yield history, question, '**Type a question first.**'
            return
        history += [{'role': 'user', 'content': question},
                    {'role': 'assistant', 'content': ''}]
        yield history, '', 'Answering...'
        gen = dict(max_new_tokens=int(max_new_tokens), do_sample=bool(do_sample),
                   repetition_penalty=float(repetition_penalty))
        if do_sample:
            gen.update(temperature=float(temperature), top_p=float(top_p))
        answer = ''
        try:
            for piece in state['session'].stream(question, **gen):
                answer += piece
                history[-1] = {'role': 'assistant', 'content': answer}
                yield history, '', 'Answering...'
        except Exception as e:
            yield history[:-1], question, f'**Generation failed:** {type(e).__name__}: {e}'
            return
        if not answer:
            history[-1] = {'role': 'assistant', 'content': '*(the model gave an empty answer)*'}
        yield history, '', (f'`{state["media"].original_name}`: {len(history) // 2} turn(s) so '
                            f'far; **Clear chat** starts over on the same video.')

    def on_clear(state: dict | None):
        if (state or {}).get('session'):
            state['session'].reset()
        return [], 'Chat cleared; the video stays loaded.'

    def forget(state: dict | None) -> None:
        """Delete the stored upload of a session (on reset, or when the tab goes away)."""
        if (state or {}).get('media'):
            store.delete(state['media'])

    def on_reset(state: dict | None):
        forget(state)
        return {}, None, [], None, None, 'Upload a video, or pick a sample.'

    with gr.Blocks(title=title, analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        state = gr.State({}, delete_callback=forget)
        gr.Markdown(f'## {title}\nUpload a video (or pick a sample), look at the frames the '
                    f'model sees, then ask questions about it.')
        with gr.Row():
            with gr.Column(scale=2):
                upload = gr.File(label='Video or image', file_count='single', type='filepath',
                                 elem_id='upload', height=150)
                sample = gr.Dropdown(choices=list(samples), value=None, label='Or pick a sample',
                                     elem_id='sample', interactive=True)
                status = gr.Markdown('Upload a video, or pick a sample.', elem_id='status')
                frames = gr.Gallery(label='Frames the model sees', columns=4, height=200,
                                    object_fit='contain', format='png', elem_id='frames',
                                    allow_preview=False)
                with gr.Accordion('Generation settings', open=False, elem_id='settings'):
                    max_new = gr.Slider(1, 512, value=gen0['max_new_tokens'], step=1,
                                        label='max new tokens', elem_id='max-new-tokens')
                    do_sample = gr.Checkbox(value=gen0['do_sample'], label='sample')
                    temperature = gr.Slider(0.05, 2.0, value=gen0['temperature'], step=0.05,
                                            label='temperature')
                    top_p = gr.Slider(0.05, 1.0, value=gen0['top_p'], step=0.05, label='top p')
                    rep = gr.Slider(1.0, 2.0, value=gen0['repetition_penalty'], step=0.05,
                                    label='repetition penalty')
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label='Chat', height=420, elem_id='chatbot')
                question = gr.Textbox(label='Question', placeholder='What happens in the video?',
                                      elem_id='question')
                with gr.Row():
                    send = gr.Button('Send', variant='primary', elem_id='send')
                    clear = gr.Button('Clear chat', elem_id='clear')
                    reset = gr.Button('Reset all', elem_id='reset')

        outs = [state, frames, status, chatbot]
        upload.upload(on_upload, [upload, state], [*outs, upload])
        sample.input(on_sample, [sample, state], outs)
        ask_in = [question, chatbot, state, max_new, do_sample, temperature, top_p, rep]
        send.click(on_ask, ask_in, [chatbot, question, status])
        question.submit(on_ask, ask_in, [chatbot, question, status])
        clear.click(on_clear, [state], [chatbot, status])
        reset.click(on_reset, [state], [state, frames, chatbot, upload, sample, status])
    return demo


def launch_ui(demo: gr.Blocks, store: UploadStore, host: str = '127.0.0.1', port: int = 7860,
              block: bool = True) -> None:
    """Serve ``demo`` (queued, one answer at a time per worker); no web fonts, no analytics."""
    import gradio as gr

    theme = gr.themes.Default(font=['ui-sans-serif', 'system-ui', 'sans-serif'],
                              font_mono=['ui-monospace', 'monospace'])
    # Gradio's own cap is a backstop above ours, so the UI shows our clearer message
    cap = 2 * store.policy.max_bytes + (1 << 20)
    demo.queue(default_concurrency_limit=1, max_size=64).launch(
        server_name=host, server_port=port, theme=theme, css=_CSS, max_file_size=cap,
        ssr_mode=False, prevent_thread_lock=not block, quiet=False, footer_links=[])
