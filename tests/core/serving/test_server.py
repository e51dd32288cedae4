"""The OpenAI-compatible server, driven by the official ``openai`` client, over a scripted
session (request handling, validation, queueing); the tiny real model is in test_server_model.py."""
from __future__ import annotations

import base64
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from mmvideofm.apis.chat import ChatUsage
from mmvideofm.serving.server import ServerSettings, StopCutter, create_app, serve_in_thread
from mmvideofm.serving.uploads import UploadPolicy, UploadStore

from .conftest import EchoGeneration, ScriptedSession

MODEL = 'tiny-test'


@pytest.fixture(scope='module')
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp('allowed')


@pytest.fixture(scope='module')
def server(tmp_path_factory, media_root):
    store = UploadStore(str(tmp_path_factory.mktemp('work')),
                        UploadPolicy(max_bytes=200_000, allowed_roots=[str(media_root)]))
    settings = ServerSettings(model_name=MODEL, max_concurrency=2, max_queue=2,
                              max_new_tokens_limit=64, max_request_bytes=400_000)
    with serve_in_thread(create_app(ScriptedSession, store, settings)) as url:
        yield url, store


@pytest.fixture(scope='module')
def client(server):
    return openai.OpenAI(base_url=server[0] + '/v1', api_key='unused', max_retries=0)


def _video_part(clip_mp4: str) -> dict:
    data = base64.b64encode(open(clip_mp4, 'rb').read()).decode()
    return {'type': 'video_url', 'video_url': {'url': 'data:video/mp4;base64,' + data}}


def _user(text: str, *parts: dict) -> dict:
    return {'role': 'user', 'content': [{'type': 'text', 'text': text}, *parts]}


def test_models(client):
    assert [m.id for m in client.models.list()] == [MODEL]


def test_answer_with_base64_video_and_history(client, server, clip_mp4):
    messages = [{'role': 'system', 'content': 'Be brief.'}, {'role': 'developer', 'content': [
        {'type': 'text', 'text': 'Be kind.'}]}, _user('what moves?', _video_part(clip_mp4)),
        {'role': 'assistant', 'content': 'a circle'}, _user('where to?')]
    out = client.chat.completions.create(model=MODEL, messages=messages, max_tokens=7)
    assert out.choices[0].message.content == \
        'where to?|frames=8|turns=1|max_new_tokens=7|system=Be brief.\nBe kind.'
    assert out.choices[0].finish_reason == 'stop'
    assert not any(p.endswith('.mp4') for p in os.listdir(server[1].root))  # temp copy gone


def test_streaming(client, clip_mp4):
    stream = client.chat.completions.create(
        model=MODEL, messages=[_user('hi', _video_part(clip_mp4))], stream=True)
    pieces = [c.choices[0].delta.content for c in stream if c.choices[0].delta.content]
    assert pieces == ['hi', '|frames=8', '|turns=0', '|max_new_tokens=64']  # the limit


def test_uploaded_file_and_local_path(client, clip_mp4, media_root):
    with open(clip_mp4, 'rb') as f:
        up = client.files.create(file=('clip.mp4', f), purpose='user_data')
    assert up.id.startswith('file-') and up.bytes > 0
    for part in ({'type': 'file', 'file': {'file_id': up.id}},
                 {'type': 'video_url', 'video_url': {'url': up.id}}):
        out = client.chat.completions.create(model=MODEL, messages=[_user('q', part)])
        assert out.choices[0].message.content.startswith('q|frames=8')
    local = media_root / 'local.mp4'
    local.write_bytes(open(clip_mp4, 'rb').read())
    out = client.chat.completions.create(model=MODEL, messages=[_user('q', {
        'type': 'video_url', 'video_url': {'url': str(local)}})])
    assert out.choices[0].message.content.startswith('q|frames=8')
    client.files.delete(up.id)
    with pytest.raises(openai.NotFoundError, match='no uploaded file'):
        client.chat.completions.create(model=MODEL, messages=[_user('q', {
            'type': 'video_url', 'video_url': {'url': up.id}})])


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(model='gpt-4'), openai.NotFoundError, "model 'gpt-4' is not served"),
    (dict(messages=[{'role': 'assistant', 'content': 'x'}]), openai.BadRequestError,
     'the last message must be a user message'),
    (dict(messages=[{'role': 'robot', 'content': 'x'}]), openai.BadRequestError,
     r'messages\.0\.role'),
    (dict(messages=[]), openai.BadRequestError, 'messages: List should have at least 1 item'),
    (dict(), openai.BadRequestError, 'the conversation has no video or image: add a video_url'),
    (dict(messages=[_user('a'), _user('b')]), openai.BadRequestError,
     'messages.1: expected a assistant message'),
    (dict(n=2), openai.BadRequestError, 'n=2 is not supported'),
    (dict(max_tokens=65), openai.BadRequestError, "max_tokens=65 is above this server's "
     "limit of 64"),
    (dict(max_completion_tokens=65), openai.BadRequestError, 'max_completion_tokens=65 is above'),
    (dict(max_tokens=0), openai.BadRequestError, 'max_tokens: Input should be greater than or '
     'equal to 1'),
    (dict(max_tokens=8, max_completion_tokens=9), openai.BadRequestError,
     'max_tokens=8 and max_completion_tokens=9 disagree'),
    (dict(top_p=0), openai.BadRequestError, 'top_p: Input should be greater than 0'),
    (dict(frequency_penalty=0.5), openai.BadRequestError,
     'frequency_penalty=0.5 is not supported: use repetition_penalty'),
    (dict(logprobs=True), openai.BadRequestError, 'logprobs=True is not supported'),
    (dict(stream_options={'include_usage': True}), openai.BadRequestError,
     'stream_options is only allowed with stream=true'),
    (dict(temperature=3), openai.BadRequestError, 'temperature: Input should be less'),
    (dict(stop=['a', 'b', 'c', 'd', 'e']), openai.BadRequestError,
     'stop: give one stop string or a list of at most 4 non-empty strings'),
    (dict(stop=['a', '']), openai.BadRequestError, r"at most 4 non-empty strings, got \['a', ''\]"),
    (dict(stop=3), openai.BadRequestError, 'stop: Input should be a valid'),
    (dict(seed=-1), openai.BadRequestError, 'seed: Input should be greater than or equal to 0'),
    (dict(extra_body={'frobnicate': 1}), openai.BadRequestError,
     'frobnicate: Extra inputs are not permitted'),
    (dict(messages=[_user('q', {'type': 'video_url', 'video_url': {'url': ''}})]),
     openai.BadRequestError, r'request: messages\.0\.content\.1\.video_url\.url: String should '
     r'have at least 1 character$'),
    (dict(messages=[_user('q', {'type': 'audio', 'audio': {}})]), openai.BadRequestError,
     r"messages\.0\.content\.1: Input tag 'audio' found using 'type' does not match"),
    (dict(messages=[_user('q', {'type': 'video_url', 'video_url': {'url': 'http://x/v.mp4'}})]),
     openai.BadRequestError, 'does not download URLs'),
    (dict(messages=[_user('q', {'type': 'video_url', 'video_url': {'url': '/etc/passwd'}})]),
     openai.PermissionDeniedError, 'outside the allowed roots'),
    (dict(messages=[_user('q', {'type': 'video_url', 'video_url': {
        'url': 'data:video/mp4;base64,' + base64.b64encode(b'text' * 50).decode()}})]),
     openai.APIStatusError, 'is not a readable video'),
    (dict(messages=[_user('q', {'type': 'video_url', 'video_url': {
        'url': 'data:video/mp4;base64,' + 'A' * 300_000}})]),
     openai.APIStatusError, 'too large'),
])
def test_bad_requests(client, kwargs, error, match):
    args = {'model': MODEL, 'messages': [_user('q')], **kwargs}
    with pytest.raises(error, match=match) as e:
        client.chat.completions.create(**args)
    assert 400 <= e.value.status_code < 500


def test_two_videos_and_oversize_bodies(server, client, clip_mp4):
    with pytest.raises(openai.BadRequestError, match='carries 2 videos'):
        client.chat.completions.create(model=MODEL, messages=[_user(
            'q', _video_part(clip_mp4), _video_part(clip_mp4))])
    r = httpx.post(server[0] + '/v1/chat/completions', content=b'x' * 500_000,
                   headers={'content-type': 'application/json'})
    assert r.status_code == 413 and 'above the limit' in r.json()['error']['message']

    def chunks():  # no content-length: refused once the body passes the limit
        for _ in range(50):
            yield b'x' * 10_000
    r = httpx.post(server[0] + '/v1/chat/completions', content=chunks(),
                   headers={'content-type': 'application/json'})
    assert r.status_code == 413 and 'more than 400000 bytes' in r.json()['error']['message']


def test_queue_full_and_concurrency_limit(server, clip_mp4):
    """2 running + 2 waiting are accepted; the 5th and 6th get 503 at once; none is lost."""
    url = server[0] + '/v1/chat/completions'
    video = _video_part(clip_mp4)
    ScriptedSession.gate = threading.Event()
    try:
        def ask(i: int) -> httpx.Response:
            return httpx.post(url, json=dict(model=MODEL, messages=[_user(f'q{i}', video)]),
                              timeout=60)

        with ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(ask, i) for i in range(6)]
            deadline = time.monotonic() + 20  # the refused ones return while the others wait
            while sum(f.done() for f in futures) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            done = [f.result() for f in futures if f.done()]
            assert len(done) == 2 and all(r.status_code == 503 for r in done)
            assert 'queue is full' in done[0].json()['error']['message']
            assert done[0].headers['retry-after'] == '1'
            health = httpx.get(server[0] + '/health').json()
            assert health['in_system'] == 4
            ScriptedSession.gate.set()
            answers = [f.result(timeout=30) for f in futures]
    finally:
        ScriptedSession.gate = None
    ok = [r.json()['choices'][0]['message']['content'] for r in answers if r.status_code == 200]
    assert sorted(a.split('|')[0] for a in ok) == sorted(
        f'q{i}' for i, r in enumerate(answers) if r.status_code == 200)
    assert len(ok) == 4


class _NoHistorySession(ScriptedSession):
    """A session whose history cannot be set (a read-only property, as ChatSession's)."""

    history = property(lambda self: [])

    def __init__(self) -> None:
        self.frames = None


def test_earlier_turns_need_a_session_that_takes_them(tmp_path, clip_mp4):
    from fastapi.testclient import TestClient
    app = create_app(_NoHistorySession, UploadStore(str(tmp_path)), ServerSettings(MODEL))
    video = _video_part(clip_mp4)
    messages = [_user('a', video), {'role': 'assistant', 'content': 'b'}, _user('c')]
    with TestClient(app) as http:
        r = http.post('/v1/chat/completions', json=dict(model=MODEL, messages=messages))
        assert r.status_code == 400
        assert 'cannot take earlier turns' in r.json()['error']['message']
        r = http.post('/v1/chat/completions', json=dict(model=MODEL,
                                                        messages=[_user('c', video)]))
        assert r.json()['choices'][0]['message']['content'].startswith('c|')


class _HeldStream(ScriptedSession):
    """Streams 'first', then holds the rest until ``release`` is set."""

    release = threading.Event()

    def stream(self, text: str, **generation):
        yield 'first'
        assert self.release.wait(30)
        yield ' second'


def test_stream_pieces_arrive_as_they_are_generated(tmp_path, clip_mp4):
    app = create_app(_HeldStream, UploadStore(str(tmp_path)), ServerSettings(MODEL))
    with serve_in_thread(app) as url:
        client = openai.OpenAI(base_url=url + '/v1', api_key='unused', max_retries=0)
        stream = client.chat.completions.create(
            model=MODEL, messages=[_user('q', _video_part(clip_mp4))], stream=True)
        pieces = (c.choices[0].delta.content for c in stream if c.choices[0].delta.content)
        assert next(pieces) == 'first'  # while the model still holds the rest back
        _HeldStream.release.set()
        assert list(pieces) == [' second']


class _FailingSession(ScriptedSession):
    """Refuses questions that start with 'bad' (ValueError) and crashes on 'crash'."""

    def stream(self, text: str, **generation):
        if text.startswith('bad'):
            raise ValueError('the question may not hold the video placeholder')
        if text.startswith('crash'):
            raise RuntimeError('out of memory')
        yield 'ok'


@pytest.mark.parametrize('stream', [False, True])
def test_session_errors(tmp_path, clip_mp4, stream):
    from fastapi.testclient import TestClient
    app = create_app(_FailingSession, UploadStore(str(tmp_path)), ServerSettings(MODEL))
    with TestClient(app) as http:
        def post(q: str):
            return http.post('/v1/chat/completions', json=dict(
                model=MODEL, stream=stream, messages=[_user(q, _video_part(clip_mp4))]))
        r = post('bad question')
        assert r.status_code == 400 and 'may not hold the video placeholder' in r.text
        r = post('crash')
        assert r.status_code == 500 and 'generation failed: RuntimeError: out of memory' in r.text
        assert post('fine').status_code == 200


class _Endless(ScriptedSession):
    """Streams a piece every 10 ms for up to 20 s."""

    def stream(self, text: str, **generation):
        for _ in range(2000):
            time.sleep(0.01)
            yield 'x'


def test_client_that_goes_away_stops_its_generation(tmp_path, clip_mp4):
    app = create_app(_Endless, UploadStore(str(tmp_path)), ServerSettings(MODEL))
    with serve_in_thread(app) as url:
        with httpx.stream('POST', url + '/v1/chat/completions', json=dict(
                model=MODEL, stream=True, messages=[_user('q', _video_part(clip_mp4))])) as r:
            assert r.status_code == 200
            next(r.iter_lines())  # the first event, then hang up
        deadline = time.monotonic() + 10
        while httpx.get(url + '/health').json()['in_system'] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert httpx.get(url + '/health').json()['in_system'] == 0  # the slot is free again
        assert time.monotonic() < deadline


def test_stop_cutter_holds_back_what_may_begin_a_stop_string():
    cut = StopCutter(['STOP', 'ab'])
    assert [cut.push(p) for p in ['xa', 'ay', 'S', 'TO', 'Pz']] == ['x', 'aay', '', '', '']
    assert cut.stopped and cut.final() == '' and cut.push('more') == ''
    cut = StopCutter(['###'])
    assert [cut.push(p) for p in ['a#', '#b', '##']] == ['a', '##b', '']
    assert not cut.stopped and cut.final() == '##'  # the answer ended: held text is shown
    cut = StopCutter(['b', 'abc'])  # completed in the same piece: the one that starts first
    assert cut.push('xabc') == 'x' and cut.stopped
    cut = StopCutter(['b', 'abc'])  # else the one completed first, as generation goes
    assert cut.push('xab') == 'xa' and cut.push('c') == ''
    assert StopCutter([]).push('text') == 'text'


class _CountingSession(ScriptedSession):
    """Counts like ChatSession: 5 text + 3 visual prompt tokens, one token per piece; the
    pieces after a closed stream are never generated (``generated_tokens`` says so)."""

    def stream(self, text: str, **generation):
        max_new = generation.get('max_new_tokens') or 256
        self.last_usage = ChatUsage(5, 3, max_new)
        for piece in super().stream(text, **generation):
            if self.last_usage.hit_length:
                return
            self.last_usage.generated_tokens += 1
            yield piece


@pytest.fixture(scope='module')
def counting_client(tmp_path_factory):
    app = create_app(_CountingSession, UploadStore(str(tmp_path_factory.mktemp('w'))),
                     ServerSettings(MODEL))
    with serve_in_thread(app) as url:
        yield openai.OpenAI(base_url=url + '/v1', api_key='unused', max_retries=0)


def _content(chunks: list) -> str:
    return ''.join(c.choices[0].delta.content or '' for c in chunks if c.choices)


@pytest.mark.parametrize('stream', [False, True])
def test_usage_finish_reason_and_stop(counting_client, clip_mp4, stream):
    """Pieces 'hi', '|frames=8', '|turns=0', '|max_new_tokens=N': usage, "length" when all
    max_tokens were used, and a stop string that spans two pieces."""
    def ask(**kw):
        out = counting_client.chat.completions.create(
            model=MODEL, messages=[_user('hi', _video_part(clip_mp4))], stream=stream,
            **({'stream_options': {'include_usage': True}} if stream else {}), **kw)
        if not stream:
            return out.choices[0].message.content, out.choices[0].finish_reason, out.usage
        chunks = list(out)
        assert chunks[-1].choices == [] and all(c.usage is None for c in chunks[:-1])
        return _content(chunks), chunks[-2].choices[0].finish_reason, chunks[-1].usage

    content, finish, usage = ask(max_tokens=2)
    assert (content, finish) == ('hi|frames=8', 'length')
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (8, 2, 10)
    assert usage.prompt_tokens_details.visual_tokens == 3
    content, finish, usage = ask(max_tokens=10)
    assert (content, finish, usage.completion_tokens) == (
        'hi|frames=8|turns=0|max_new_tokens=10', 'stop', 4)
    content, finish, usage = ask(max_tokens=10, stop=['=8|tu', 'never'])
    assert (content, finish, usage.completion_tokens) == ('hi|frames', 'stop', 3)
    content, finish, usage = ask(max_tokens=10, stop='hi')
    assert (content, finish) == ('', 'stop')


def test_streamed_text_never_passes_a_stop_string(counting_client, clip_mp4):
    stream = counting_client.chat.completions.create(
        model=MODEL, messages=[_user('hi', _video_part(clip_mp4))], stream=True,
        stop=['s=8|'])
    pieces = [c.choices[0].delta.content for c in stream if c.choices[0].delta.content]
    assert pieces == ['hi', '|frame']  # 's=8' was held back until the next piece settled it


def test_generation_settings_reach_the_session(tmp_path, clip_mp4):
    from fastapi.testclient import TestClient
    app = create_app(EchoGeneration, UploadStore(str(tmp_path)),
                     ServerSettings(MODEL, max_new_tokens_limit=100))
    with TestClient(app) as http:
        def settings(**kw) -> str:
            r = http.post('/v1/chat/completions', json=dict(
                model=MODEL, messages=[_user('q', _video_part(clip_mp4))], **kw))
            assert r.status_code == 200, r.text
            return r.json()['choices'][0]['message']['content']

        assert settings() == "[('max_new_tokens', 100)]"  # the default 256, capped
        # clients' neutral defaults are accepted; temperature 0 is greedy
        assert settings(max_tokens=5, max_completion_tokens=5, temperature=0, n=1,
                        presence_penalty=0, frequency_penalty=0, logprobs=False, seed=1) == \
            "[('do_sample', False), ('max_new_tokens', 5)]"
        assert settings(max_completion_tokens=7, temperature=0.5, top_p=0.8,
                        repetition_penalty=1.2) == (
            "[('do_sample', True), ('max_new_tokens', 7), ('repetition_penalty', 1.2), "
            "('temperature', 0.5), ('top_p', 0.8)]")
