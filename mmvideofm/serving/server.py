"""OpenAI-compatible HTTP server for any registered video-LLM (FastAPI).

``create_app(session_factory, model_name=...)`` serves

- ``POST /v1/chat/completions``: OpenAI chat messages whose user content parts may carry one
  video or image as ``{"type": "video_url", "video_url": {"url": URL}}`` (also ``image_url``) or
  ``{"type": "file", "file": {"file_id": ...} | {"file_data": ..., "filename": ...}}``, where URL
  is a ``data:video/mp4;base64,...`` URL, a ``file-...`` id from ``POST /v1/files``, or a local
  path / ``file://`` URL under an allowed root. ``stream=true`` answers with server-sent events
  (``chat.completion.chunk`` objects, then ``data: [DONE]``).
- ``POST /v1/files`` (multipart upload, as ``openai.files.create``), ``DELETE /v1/files/{id}``,
  ``GET /v1/models``, ``GET /health``.

Replies carry ``usage`` (prompt tokens = the prompt's text tokens + the visual tokens spliced
in, completion tokens = generation steps; see :func:`usage_of`), also as the last streamed
chunk with ``stream_options={"include_usage": true}``. ``stop`` strings cut the answer (never
streamed past, even when one spans pieces); ``finish_reason`` is ``"length"`` when the answer
used all ``max_tokens``. Sampling requests (``temperature > 0``) take turns on the global
random generator, so a ``seed`` makes their answer reproducible.

Requests are checked before any model work; errors come back as OpenAI error objects with a
4xx status that says what to fix. At most ``max_concurrency`` requests run at once (in worker
threads); up to ``max_queue`` more wait; beyond that the server answers 503 with
``Retry-After`` at once instead of piling up work.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import torch
from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from .uploads import StoredMedia, UploadError, UploadStore

__all__ = ['create_app', 'ServerSettings', 'ChatCompletionRequest', 'APIError',
           'AdmissionControl', 'StopCutter', 'usage_of']


# --------------------------------------------------------------------------- schemas
class _Strict(BaseModel):
    model_config = ConfigDict(extra='forbid')


class TextPart(_Strict):
    type: Literal['text']
    text: str


class MediaURL(_Strict):
    url: str = Field(min_length=1)
    detail: str | None = None


class VideoURLPart(_Strict):
    type: Literal['video_url']
    video_url: MediaURL


class ImageURLPart(_Strict):
    type: Literal['image_url']
    image_url: MediaURL


class FileRef(_Strict):
    file_id: str | None = None
    file_data: str | None = None
    filename: str | None = None


class FilePart(_Strict):
    type: Literal['file']
    file: FileRef


ContentPart = Annotated[TextPart | VideoURLPart | ImageURLPart | FilePart,
                        Field(discriminator='type')]


class ChatMessage(_Strict):
    role: Literal['system', 'developer', 'user', 'assistant']
    content: str | list[ContentPart] | None = None
    name: str | None = None


class StreamOptions(_Strict):
    include_usage: bool = False


class ChatCompletionRequest(_Strict):
    """The accepted subset of OpenAI's chat completion request (plus ``repetition_penalty``)."""

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    repetition_penalty: float | None = Field(default=None, gt=0)
    stop: str | list[str] | None = None
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    n: int = 1
    # accepted at their neutral values only (clients send them by default)
    presence_penalty: float = 0
    frequency_penalty: float = 0
    logprobs: bool = False
    user: str | None = None


# --------------------------------------------------------------------------- errors
class APIError(Exception):
    """An error answered as an OpenAI error object with HTTP ``status``."""

    def __init__(self, status: int, message: str, param: str | None = None,
                 code: str | None = None, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code
        self.headers = headers

    def body(self) -> dict:
        kind = ('invalid_request_error' if self.status < 500 else
                'server_busy' if self.status == 503 else 'server_error')
        return {'error': {'message': self.message, 'type': kind, 'param': self.param,
                          'code': self.code}}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


_TYPE_NAME = re.compile(r'^(str|int|float|bool|list|dict|none)$|[\[\]]')


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    """``'messages.0.content.0.video_url.url: String should have ...'`` for the first few
    problems. Union branches are folded away: type names and repeated discriminator tags
    leave the path, and a branch that failed higher up than another is dropped."""
    found = []
    for err in exc.errors():
        loc = []
        for p in err.get('loc', ()):
            if p == 'body' or (isinstance(p, str) and _TYPE_NAME.search(p)):
                continue
            if loc and p == loc[-1]:  # the tag of a discriminated union, then the field
                continue
            loc.append(p)
        found.append((tuple(loc), err.get('msg', 'invalid')))
    deepest = [(loc, msg) for loc, msg in found
               if not any(len(o) > len(loc) and o[:len(loc)] == loc for o, _ in found)]
    parts = [f'{".".join(map(str, loc)) or "body"}: {msg}' for loc, msg in deepest[:4]]
    first = '.'.join(map(str, deepest[0][0])) if deepest else None
    return 'invalid request: ' + '; '.join(parts), first


class BodyLimit:
    """ASGI middleware: a request body above ``max_bytes`` gets a 413, whether it announces
    its length (refused before reading) or is sent in chunks (refused once it passes the
    limit; the app's own answer is replaced)."""

    def __init__(self, app: Callable, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    def _error(self, size: str) -> APIError:
        return APIError(413, f'request body of {size} bytes is above the limit of '
                        f'{self.max_bytes} bytes (--max-upload-mb)')

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope['type'] != 'http':
            return await self.app(scope, receive, send)
        length = dict(scope.get('headers') or []).get(b'content-length', b'')
        if length.isdigit() and int(length) > self.max_bytes:
            return await self._error(length.decode()).response()(scope, receive, send)
        seen, over = 0, False

        async def limited_receive() -> dict:
            nonlocal seen, over
            message = await receive()
            if message['type'] == 'http.request':
                seen += len(message.get('body', b''))
                if seen > self.max_bytes:
                    over = True
                    raise ValueError('request body too large')
            return message

        async def guarded_send(message: dict) -> None:
            if not over:
                return await send(message)
            if message['type'] == 'http.response.start':  # answer 413 instead
                await self._error(f'more than {self.max_bytes}').response()(
                    scope, receive, send)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except ValueError:
            if not over:
                raise
            await self._error(f'more than {self.max_bytes}').response()(scope, receive, send)


# --------------------------------------------------------------------------- admission
class AdmissionControl:
    """At most ``max_concurrency`` running and ``max_queue`` waiting; more is refused."""

    def __init__(self, max_concurrency: int, max_queue: int) -> None:
        if max_concurrency < 1 or max_queue < 0:
            raise ValueError(f'max_concurrency must be >= 1 and max_queue >= 0, got '
                             f'{max_concurrency}, {max_queue}')
        self.max_concurrency, self.max_queue = max_concurrency, max_queue
        self._slots = asyncio.Semaphore(max_concurrency)
        self.in_system = 0  # running + waiting
        self.served = 0
        self.rejected = 0

    async def enter(self) -> None:
        """Wait for a slot, or raise a 503 :class:`APIError` when the queue is full."""
        if self.in_system >= self.max_concurrency + self.max_queue:
            self.rejected += 1
            raise APIError(503, f'server busy: {self.max_concurrency} request(s) running and '
                           f'{self.max_queue} waiting (the queue is full); retry later',
                           code='queue_full', headers={'Retry-After': '1'})
        self.in_system += 1
        try:
            await self._slots.acquire()
        except BaseException:
            self.in_system -= 1
            raise

    def leave(self) -> None:
        """Free the slot taken by :meth:`enter` (call exactly once per successful enter)."""
        self._slots.release()
        self.in_system -= 1
        self.served += 1


# --------------------------------------------------------------------------- requests
@dataclass
class Conversation:
    """A validated request: the media, the earlier turns, the question and generation args."""

    question: str
    turns: list[tuple[str, str]] = field(default_factory=list)
    system: str | None = None
    media: list[tuple[str, Any]] = field(default_factory=list)  # (kind, url | FileRef)
    generation: dict = field(default_factory=dict)
    stop: tuple[str, ...] = ()
    seed: int | None = None


def _text_of(msg: ChatMessage, index: int) -> str:
    if msg.content is None or isinstance(msg.content, str):
        return msg.content or ''
    if any(not isinstance(p, TextPart) for p in msg.content):
        raise APIError(400, f'messages.{index}: only user messages may carry videos or images '
                       f'({msg.role} content must be text)', param=f'messages.{index}.content')
    return ''.join(p.text for p in msg.content)


_UNSUPPORTED = {'presence_penalty': 'use repetition_penalty (> 1 discourages repeats)',
                'frequency_penalty': 'use repetition_penalty (> 1 discourages repeats)',
                'logprobs': 'this server returns text only'}


def parse_request(req: ChatCompletionRequest, max_new_tokens_limit: int,
                  default_max_new_tokens: int = 256) -> Conversation:
    """Check the messages' order and content; collect media and generation settings
    (``max_tokens`` when the request gives none: ``default_max_new_tokens``, at most the
    limit)."""
    if req.n != 1:
        raise APIError(400, f'n={req.n} is not supported; ask for one choice (n=1)', param='n')
    if req.stream_options is not None and not req.stream:
        raise APIError(400, 'stream_options is only allowed with stream=true',
                       param='stream_options')
    for name, hint in _UNSUPPORTED.items():
        if getattr(req, name):
            raise APIError(400, f'{name}={getattr(req, name)!r} is not supported: {hint}',
                           param=name)
    offset = 0
    while offset < len(req.messages) and req.messages[offset].role in ('system', 'developer'):
        offset += 1
    msgs = req.messages[offset:]
    system = '\n'.join(_text_of(m, i) for i, m in enumerate(req.messages[:offset])) or None
    if not msgs or msgs[-1].role != 'user':
        raise APIError(400, 'the last message must be a user message (the question to answer)',
                       param='messages')
    conv = Conversation(question='', system=system)
    pending_user: str | None = None
    for i, msg in enumerate(msgs, offset):
        expected = 'user' if pending_user is None else 'assistant'
        if msg.role != expected:
            raise APIError(400, f'messages.{i}: expected a {expected} message here (after an '
                           f'optional system message, user and assistant messages alternate), '
                           f'got {msg.role}', param=f'messages.{i}.role')
        if msg.role == 'assistant':
            conv.turns.append((pending_user, _text_of(msg, i)))
            pending_user = None
            continue
        texts = []
        for j, part in enumerate([msg.content] if isinstance(msg.content, str)
                                 else msg.content or []):
            if isinstance(part, str | TextPart):
                texts.append(part if isinstance(part, str) else part.text)
            elif isinstance(part, VideoURLPart):
                conv.media.append(('video', part.video_url.url))
            elif isinstance(part, ImageURLPart):
                conv.media.append(('image', part.image_url.url))
            else:
                if (part.file.file_id is None) == (part.file.file_data is None):
                    raise APIError(400, f'messages.{i}.content.{j}.file: give exactly one of '
                                   f'file_id and file_data', param=f'messages.{i}.content.{j}')
                conv.media.append(('file', part.file))
        pending_user = '\n'.join(t for t in texts if t)
        if not pending_user.strip() and i == len(req.messages) - 1:
            raise APIError(400, f'messages.{i}: the question has no text', param=f'messages.{i}')
    conv.question = pending_user or ''
    if len(conv.media) > 1:
        raise APIError(400, f'the conversation carries {len(conv.media)} videos/images; this '
                       f'model takes one per conversation', param='messages')
    name, max_new = (('max_completion_tokens', req.max_completion_tokens)
                     if req.max_completion_tokens is not None else ('max_tokens', req.max_tokens))
    if None not in (req.max_tokens, req.max_completion_tokens) and \
            req.max_tokens != req.max_completion_tokens:
        raise APIError(400, f'max_tokens={req.max_tokens} and max_completion_tokens='
                       f'{req.max_completion_tokens} disagree; give one of them', param=name)
    if max_new is not None and max_new > max_new_tokens_limit:
        raise APIError(400, f'{name}={max_new} is above this server\'s limit of '
                       f'{max_new_tokens_limit}', param=name)
    gen: dict = {'max_new_tokens': max_new or min(default_max_new_tokens, max_new_tokens_limit)}
    if req.temperature is not None:
        gen['do_sample'] = req.temperature > 0
        if req.temperature > 0:
            gen['temperature'] = req.temperature
    if req.top_p is not None:
        gen['top_p'] = req.top_p
    if req.repetition_penalty is not None:
        gen['repetition_penalty'] = req.repetition_penalty
    conv.generation = gen
    conv.stop = (req.stop,) if isinstance(req.stop, str) else tuple(req.stop or ())
    if len(conv.stop) > 4 or not all(conv.stop):
        raise APIError(400, f'stop: give one stop string or a list of at most 4 non-empty '
                       f'strings, got {req.stop!r}', param='stop')
    conv.seed = req.seed
    if not conv.media:
        raise APIError(400, 'the conversation has no video or image: add a video_url, image_url '
                       'or file content part to a user message', param='messages')
    return conv


def resolve_media(store: UploadStore, kind: str, ref: Any) -> tuple[StoredMedia, bool]:
    """A content part's video/image as a validated file (see the module docstring), and
    whether it is a temporary copy (base64 data) to delete after loading."""
    if kind == 'file':
        if ref.file_id is not None:
            return store.get(ref.file_id), False
        return store.save_base64(ref.file_data, ref.filename), True
    url = str(ref)
    if url.startswith('data:'):
        return store.save_base64(url), True
    if url.startswith('file-'):
        return store.get(url), False
    if url.startswith(('http://', 'https://')):
        raise UploadError('this server does not download URLs; send the video as a '
                          'data:video/mp4;base64,... URL, upload it with POST /v1/files, or '
                          'give a local path under an allowed root', status=400)
    return store.resolve_local(url), False


def _check_takes_history(session: Any) -> None:
    """400 unless the session can restore earlier turns (checked before any model work)."""
    if callable(getattr(session, 'restore_history', None)):
        return
    prop = getattr(type(session), 'history', None)
    if isinstance(prop, property) and prop.fset is None:
        raise APIError(400, f'{type(session).__name__} cannot take earlier turns: send the '
                       f'video and only the last question (one user message)',
                       param='messages')


def restore_history(session: Any, turns: list[tuple[str, str]]) -> None:
    """Give a session the request's earlier ``(question, answer)`` turns, after its video is
    loaded (the API is stateless: every request carries the whole conversation). Uses the
    session's ``restore_history(turns)`` or a settable ``history``."""
    _check_takes_history(session)
    if callable(getattr(session, 'restore_history', None)):
        session.restore_history(turns)
    else:
        session.history = list(turns)


# --------------------------------------------------------------------------- answers
class StopCutter:
    """Cuts a streamed answer just before the first of ``stops`` (OpenAI's ``stop``).
    :meth:`push` returns the text that can be shown: an ending that may be the start of a stop
    string is held back until the next piece settles it, so no text past a stop string is
    ever returned, even when the stop string spans pieces. :meth:`final` returns what is held
    once the answer ended without one. With several stop strings, the answer ends before the
    one completed first (in the same piece: the one that starts first)."""

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = [s for s in stops if s]
        self.held = ''
        self.stopped = False

    def push(self, piece: str) -> str:
        """The newly showable text of ``held + piece`` ('' once stopped)."""
        if self.stopped:
            return ''
        text = self.held + piece
        hits = [i for i in (text.find(s) for s in self.stops) if i >= 0]
        if hits:
            self.stopped, self.held = True, ''
            return text[:min(hits)]
        keep = max((k for s in self.stops for k in range(1, len(s)) if text.endswith(s[:k])),
                   default=0)
        cut = len(text) - keep
        self.held = text[cut:]
        return text[:cut]

    def final(self) -> str:
        """The held-back text once the answer ended ('' if a stop string cut it)."""
        rest, self.held = self.held, ''
        return '' if self.stopped else rest


def usage_of(session: Any) -> dict | None:
    """OpenAI ``usage`` of the session's latest answer (its ``last_usage``, a
    :class:`~mmvideofm.apis.chat.ChatUsage`), or ``None`` when the session does not count.
    ``prompt_tokens``: text tokens of the prompt the LLM saw (with BOS, the system text, the
    earlier turns and the template's role markers) + the visual tokens spliced in;
    ``prompt_tokens_details`` has the two parts. ``completion_tokens``: generation steps,
    including the separator or EOS that ended the answer (and, when a ``stop`` string cut
    it, the few tokens generated before the generation stopped)."""
    usage = getattr(session, 'last_usage', None)
    if usage is None:
        return None
    prompt, completion = int(usage.prompt_tokens), int(usage.generated_tokens)
    return {'prompt_tokens': prompt, 'completion_tokens': completion,
            'total_tokens': prompt + completion,
            'prompt_tokens_details': {'text_tokens': int(usage.prompt_text_tokens),
                                      'visual_tokens': int(usage.visual_tokens)}}


# --------------------------------------------------------------------------- app
@dataclass
class ServerSettings:
    """Limits of one server."""

    model_name: str = 'mmvideofm-chat'
    max_concurrency: int = 1
    max_queue: int = 16
    max_new_tokens_limit: int = 1024
    default_max_new_tokens: int = 256  # when a request gives no max_tokens (at most the limit)
    max_request_bytes: int = 300 * 1024 * 1024


def _as_api_error(exc: BaseException) -> APIError:
    """What a failed request answers: upload and API errors as they are, a ``ValueError`` of the
    session (an unreadable video, a question it refuses) as 400, anything else as 500."""
    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, UploadError):
        return APIError(exc.status, str(exc), param='messages')
    if isinstance(exc, ValueError):
        return APIError(400, f'{type(exc).__name__}: {exc}', param='messages')
    return APIError(500, f'generation failed: {type(exc).__name__}: {exc}')


def _chunk(cid: str, created: int, model: str, delta: dict | None,
           finish: str | None = None, usage: tuple[bool, dict | None] = (False, None)) -> str:
    """One server-sent ``chat.completion.chunk``; ``delta=None``: the usage chunk (no
    choices); ``usage=(include, value)``: with ``include_usage`` every chunk has the key."""
    choices = [] if delta is None else [{'index': 0, 'delta': delta, 'finish_reason': finish}]
    obj = {'id': cid, 'object': 'chat.completion.chunk', 'created': created, 'model': model,
           'choices': choices}
    if usage[0]:
        obj['usage'] = usage[1]
    return f'data: {json.dumps(obj)}\n\n'


def create_app(session_factory: Callable[[], Any], store: UploadStore,
               settings: ServerSettings | None = None) -> FastAPI:
    """The FastAPI app. ``session_factory()`` returns a fresh chat session (an object with
    ``load_video``, ``load_image``, ``stream``, ``restore_history`` or a settable ``history``,
    and optionally ``system`` and ``last_usage``) over a shared model."""
    settings = settings or ServerSettings()
    executor = ThreadPoolExecutor(max_workers=settings.max_concurrency,
                                  thread_name_prefix='chat-worker')

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title='mmvideofm chat server', version='1', lifespan=lifespan)
    admission: AdmissionControl | None = None
    sampling = threading.Lock()  # sampling requests take turns on the global RNG
    app.state.settings = settings
    app.state.store = store

    def get_admission() -> AdmissionControl:  # created inside the server's event loop
        nonlocal admission
        if admission is None:
            admission = AdmissionControl(settings.max_concurrency, settings.max_queue)
            app.state.admission = admission
        return admission

    @app.exception_handler(APIError)
    async def _api_error(_: Request, exc: APIError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(UploadError)
    async def _upload_error(_: Request, exc: UploadError) -> JSONResponse:
        return _as_api_error(exc).response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        msg, param = _validation_message(exc)
        return APIError(400, msg, param=param).response()

    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)

    @app.get('/health')
    async def health() -> dict:
        adm = get_admission()
        return {'status': 'ok', 'in_system': adm.in_system, 'served': adm.served,
                'rejected': adm.rejected}

    @app.get('/v1/models')
    async def models() -> dict:
        return {'object': 'list', 'data': [{'id': settings.model_name, 'object': 'model',
                                            'created': 0, 'owned_by': 'mmvideofm'}]}

    @app.post('/v1/files')
    async def upload_file(file: Annotated[UploadFile, File()],
                          purpose: Annotated[str, Form()] = 'user_data') -> dict:
        media = await asyncio.to_thread(store.save_stream, file.file,
                                        file.filename or 'upload')
        return {'id': media.file_id, 'object': 'file', 'bytes': media.size,
                'created_at': int(time.time()), 'filename': media.original_name,
                'purpose': purpose, 'status': 'processed'}

    @app.delete('/v1/files/{file_id}')
    async def delete_file(file_id: str) -> dict:
        store.delete(store.get(file_id))
        return {'id': file_id, 'object': 'file', 'deleted': True}

    def open_session(conv: Conversation) -> Any:
        """A fresh session with the request's media, system text and earlier turns."""
        session = session_factory()
        if conv.turns:
            _check_takes_history(session)
        if conv.system is not None and hasattr(session, 'system'):
            session.system = conv.system
        for kind, ref in conv.media:
            media, temporary = resolve_media(store, kind, ref)
            try:
                (session.load_video if media.kind == 'video' else session.load_image)(media.path)
            finally:
                if temporary:  # base64 payloads live for one request only
                    store.delete(media)
        if conv.turns:
            restore_history(session, conv.turns)
        return session

    @contextlib.contextmanager
    def rng_turn(conv: Conversation) -> Iterator[None]:
        """Sampling answers hold the RNG for their whole generation (greedy ones need none),
        seeded when the request gives a ``seed``, so concurrent requests cannot disturb it."""
        if not conv.generation.get('do_sample'):
            yield
            return
        with sampling:
            if conv.seed is not None:
                torch.manual_seed(conv.seed)
            yield

    @torch.no_grad()
    def run_answer(conv: Conversation, emit: Callable[[str], None],
                   cancelled: threading.Event) -> tuple[str, dict | None]:
        """Runs in a worker thread: ``emit`` each showable piece of the answer (cut at the
        request's stop strings); returns the finish reason and the usage."""
        session = open_session(conv)
        cutter = StopCutter(conv.stop)
        with rng_turn(conv):
            pieces = session.stream(conv.question, **conv.generation)
            try:
                for piece in pieces:
                    if cancelled.is_set():
                        break
                    if shown := cutter.push(piece):
                        emit(shown)
                    if cutter.stopped:
                        break
            finally:
                if callable(getattr(pieces, 'close', None)):
                    pieces.close()  # stops the generation (a stop string, a client gone)
        if rest := cutter.final():
            emit(rest)
        last = getattr(session, 'last_usage', None)
        finish = 'length' if not cutter.stopped and getattr(last, 'hit_length', False) \
            else 'stop'
        return finish, usage_of(session)

    @app.post('/v1/chat/completions')
    async def chat_completions(req: ChatCompletionRequest):
        if req.model != settings.model_name:
            raise APIError(404, f'model {req.model!r} is not served here; GET /v1/models lists '
                           f'{settings.model_name!r}', param='model', code='model_not_found')
        conv = parse_request(req, settings.max_new_tokens_limit, settings.default_max_new_tokens)
        adm = get_admission()
        await adm.enter()  # 503 when the queue is full
        cid, created = f'chatcmpl-{uuid.uuid4().hex}', int(time.time())
        loop = asyncio.get_running_loop()
        if not req.stream:
            answer: list[str] = []
            fut = loop.run_in_executor(executor, run_answer, conv, answer.append,
                                       threading.Event())
            fut.add_done_callback(lambda _: adm.leave())
            try:
                finish, usage = await asyncio.shield(fut)
            except Exception as e:
                raise _as_api_error(e) from e
            body = {'id': cid, 'object': 'chat.completion', 'created': created,
                    'model': settings.model_name,
                    'choices': [{'index': 0, 'finish_reason': finish, 'message': {
                        'role': 'assistant', 'content': ''.join(answer)}}]}
            if usage is not None:
                body['usage'] = usage
            return body

        queue: asyncio.Queue = asyncio.Queue()
        cancelled = threading.Event()
        include_usage = bool(req.stream_options and req.stream_options.include_usage)

        def produce() -> None:
            try:
                end = run_answer(conv, lambda piece: loop.call_soon_threadsafe(
                    queue.put_nowait, ('piece', piece)), cancelled)
            except BaseException as e:  # noqa: B036 (handed to the response, not swallowed)
                loop.call_soon_threadsafe(queue.put_nowait, ('error', e))
            else:
                loop.call_soon_threadsafe(queue.put_nowait, ('end', end))

        fut = loop.run_in_executor(executor, produce)
        fut.add_done_callback(lambda _: adm.leave())
        kind, first = await queue.get()  # media errors become a 4xx before the stream starts
        if kind == 'error':
            raise _as_api_error(first)

        def chunk(delta: dict | None, finish: str | None = None,
                  usage: dict | None = None) -> str:
            return _chunk(cid, created, settings.model_name, delta, finish,
                          (include_usage, usage))

        async def events() -> AsyncIterator[str]:
            item = (kind, first)
            try:
                yield chunk({'role': 'assistant', 'content': ''})
                while True:
                    k, value = item
                    if k == 'end':
                        break
                    if k == 'error':
                        yield f'data: {json.dumps(_as_api_error(value).body())}\n\n'
                        return
                    yield chunk({'content': value})
                    item = await queue.get()
                finish, usage = value
                yield chunk({}, finish)
                if include_usage:  # OpenAI: a last chunk without choices carries the usage
                    yield chunk(None, usage=usage)
                yield 'data: [DONE]\n\n'
            finally:
                cancelled.set()  # a client that went away stops the generation

        return StreamingResponse(events(), media_type='text/event-stream',
                                 headers={'Cache-Control': 'no-cache'})

    return app


@contextlib.contextmanager
def serve_in_thread(app: FastAPI, host: str = '127.0.0.1', port: int = 0,
                    timeout: float = 30.0) -> Iterator[str]:
    """Run ``app`` with uvicorn in a background thread; yields its base URL
    (``http://host:port``, the port picked by the OS when 0). For tests and benchmarks."""
    import socket

    import uvicorn

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(uvicorn.Config(app, log_level='warning', lifespan='on'))
    thread = threading.Thread(target=server.run, kwargs=dict(sockets=[sock]), daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError('the uvicorn server did not start')
        time.sleep(0.02)
    try:
        yield f'http://{host}:{sock.getsockname()[1]}'
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
