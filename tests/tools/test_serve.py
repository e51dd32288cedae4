"""``tools/serve.py`` on the tiny random-weight video-LLM, driven by the official ``openai``
client: answers, streaming, uploads, local paths, bad input, and concurrent clients without loss
(greedy answers under load equal the ones asked one at a time)."""
from __future__ import annotations

import base64
import os.path as osp
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from mmvideofm.serving.webui import make_sample_videos

from .test_chat_ui import CONFIG, tool_server

MODEL = 'tiny_video_llm'
N_CLIENTS = 8


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    return make_sample_videos(str(tmp_path_factory.mktemp('allowed')), num=3, size=32)


@pytest.fixture(scope='module')
def client(tmp_path_factory, videos):
    work = tmp_path_factory.mktemp('serve')
    with tool_server('tools/serve.py', CONFIG, '--work-dir', str(work), '--allowed-root',
                     osp.dirname(videos[0]), '--max-concurrency', '2', '--max-queue',
                     str(N_CLIENTS), '--max-upload-mb', '1', log_path=str(work / 'serve.log'),
                     ready_path='/health') as url:
        yield openai.OpenAI(base_url=url + '/v1', api_key='unused', max_retries=0,
                            timeout=120)


def _b64(path: str) -> dict:
    data = base64.b64encode(open(path, 'rb').read()).decode()
    return {'type': 'video_url', 'video_url': {'url': 'data:video/mp4;base64,' + data}}


def _ask(client, part: dict, question: str, **kw) -> str:
    out = client.chat.completions.create(
        model=MODEL, max_tokens=8, temperature=0,
        messages=[{'role': 'user', 'content': [part, {'type': 'text', 'text': question}]}], **kw)
    return out.choices[0].message.content


def test_answer_and_stream(client, videos):
    assert [m.id for m in client.models.list()] == [MODEL]
    answer = _ask(client, _b64(videos[0]), 'What moves?')
    assert isinstance(answer, str)
    stream = client.chat.completions.create(
        model=MODEL, max_tokens=8, temperature=0, stream=True, messages=[{'role': 'user',
        'content': [_b64(videos[0]), {'type': 'text', 'text': 'What moves?'}]}])
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == 'assistant'
    assert chunks[-1].choices[0].finish_reason == 'stop'
    assert ''.join(c.choices[0].delta.content or '' for c in chunks) == answer  # greedy


def test_upload_and_local_path_give_the_same_answer(client, videos):
    expected = _ask(client, _b64(videos[1]), 'Which colour?')
    with open(videos[1], 'rb') as f:
        file_id = client.files.create(file=('v.mp4', f), purpose='user_data').id
    assert _ask(client, {'type': 'file', 'file': {'file_id': file_id}}, 'Which colour?') == \
        expected
    assert _ask(client, {'type': 'video_url', 'video_url': {'url': videos[1]}},
                'Which colour?') == expected


def test_bad_input(client, videos):
    with pytest.raises(openai.APIStatusError, match='is not a readable video') as e:
        _ask(client, {'type': 'video_url', 'video_url': {
            'url': 'data:video/mp4;base64,' + base64.b64encode(b'no video' * 40).decode()}}, 'q')
    assert e.value.status_code == 415
    with pytest.raises(openai.PermissionDeniedError, match='outside the allowed roots'):
        _ask(client, {'type': 'video_url', 'video_url': {'url': '/etc/hostname.mp4'}}, 'q')
    with pytest.raises(openai.BadRequestError,
                       match=r'messages\.0\.content\.0\.video_url\.url: String should'):
        _ask(client, {'type': 'video_url', 'video_url': {'url': ''}}, 'q')


def test_multi_turn(client, videos):
    """Earlier turns travel with the request and are restored into a fresh session."""
    first = _ask(client, _b64(videos[0]), 'Hi')
    messages = [{'role': 'system', 'content': 'You describe videos.'},
                {'role': 'user', 'content': [_b64(videos[0]), {'type': 'text', 'text': 'Hi'}]},
                {'role': 'assistant', 'content': first},
                {'role': 'user', 'content': 'What moves?'}]
    out = client.chat.completions.create(model=MODEL, max_tokens=4, temperature=0,
                                         messages=messages)
    assert isinstance(out.choices[0].message.content, str)


def test_concurrent_clients_without_loss(client, videos):
    jobs = [(videos[i % 3], f'question {i}: what happens?') for i in range(N_CLIENTS)]
    expected = [_ask(client, _b64(v), q) for v, q in jobs]  # one at a time
    with ThreadPoolExecutor(N_CLIENTS) as pool:
        got = list(pool.map(lambda job: _ask(client, _b64(job[0]), job[1]), jobs))
    assert got == expected
    assert any(expected)  # at least one non-empty answer
