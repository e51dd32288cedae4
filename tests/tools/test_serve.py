"""``tools/serve.py`` on the tiny random-weight video-LLM, driven by the official ``openai``
client: answers, streaming, uploads, local paths, bad input, concurrent clients without loss
(greedy answers under load equal the ones asked one at a time), token usage checked against
the tokenizer, stop strings, finish_reason "length" and seeded sampling."""
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


def _create(client, part: dict, question: str, **kw):
    return client.chat.completions.create(**{
        'model': MODEL, 'max_tokens': 8, 'temperature': 0, **kw,
        'messages': [{'role': 'user', 'content': [part, {'type': 'text', 'text': question}]}]})


def _ask(client, part: dict, question: str, **kw) -> str:
    return _create(client, part, question, **kw).choices[0].message.content


def test_answer_and_stream(client, videos):
    assert [m.id for m in client.models.list()] == [MODEL]
    answer = _ask(client, _b64(videos[0]), 'What moves?')
    assert isinstance(answer, str)
    stream = client.chat.completions.create(
        model=MODEL, max_tokens=8, temperature=0, stream=True, messages=[{'role': 'user',
        'content': [_b64(videos[0]), {'type': 'text', 'text': 'What moves?'}]}])
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == 'assistant'
    assert chunks[-1].choices[0].finish_reason == 'length'  # 8 tokens of random text
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


def _prompt_text_tokens(video: str, question: str) -> int:
    """The prompt's text tokens counted here with the model's tokenizer: BOS + the text before
    the video placeholder, and the text after it."""
    from mmengine.config import Config

    from mmvideofm.apis.chat import chat_frame_indices
    from mmvideofm.datasets.video_io import open_video
    from mmvideofm.models.llm.causal_lm import build_llm_tokenizer
    from mmvideofm.models.llm.conversation import (
        frame_seconds,
        frame_time_message,
        get_conversation_template,
    )
    cfg = Config.fromfile(CONFIG)
    with open_video(video) as r:
        seconds = frame_seconds(chat_frame_indices(len(r), cfg.model.num_frames), r.fps)
    template = get_conversation_template(cfg.model.template)
    conv = template.new(None)
    conv.add_media('video', frame_time_message(seconds))
    conv.ask(question)
    before, after = conv.get_prompt().split(template.placeholder('video'))
    tok = build_llm_tokenizer(cfg.model.llm.tokenizer)
    ids = tok(before).input_ids + tok(after, add_special_tokens=False).input_ids
    assert ids[0] == tok.bos_token_id and ids.count(tok.bos_token_id) == 1
    return len(ids)


def test_usage_and_finish_reason_length(client, videos):
    """usage counts the prompt's text tokens (tokenizer) + the 4 + 4 Q-Former query tokens;
    the random model never stops by itself within 4 tokens, so max_tokens ends the answer."""
    text = _prompt_text_tokens(videos[2], 'What moves?')
    out = _create(client, _b64(videos[2]), 'What moves?', max_tokens=4)
    assert out.choices[0].finish_reason == 'length'
    usage = out.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (
        text + 8, 4, text + 12)
    assert (usage.prompt_tokens_details.text_tokens,
            usage.prompt_tokens_details.visual_tokens) == (text, 8)
    chunks = list(_create(client, _b64(videos[2]), 'What moves?', max_tokens=4, stream=True,
                          stream_options={'include_usage': True}))
    assert chunks[-1].choices == [] and chunks[-1].usage == usage  # the last chunk, as OpenAI
    assert all(c.usage is None for c in chunks[:-1])
    assert chunks[-2].choices[0].finish_reason == 'length'
    assert ''.join(c.choices[0].delta.content or '' for c in chunks[:-1]) == \
        out.choices[0].message.content
    plain = list(_create(client, _b64(videos[2]), 'What moves?', max_tokens=4, stream=True))
    assert all(c.usage is None for c in plain) and plain[-1].choices[0].finish_reason


def test_stop_strings(client, videos):
    """The answer ends just before the first stop string, streamed or not."""
    full = _ask(client, _b64(videos[2]), 'What happens?', max_tokens=16)
    assert len(full) > 10
    stop = full[6:9]
    expected = full[:full.find(stop)]
    out = _create(client, _b64(videos[2]), 'What happens?', max_tokens=16,
                  stop=['never in the answer', stop])
    assert (out.choices[0].message.content, out.choices[0].finish_reason) == (expected, 'stop')
    assert out.usage.completion_tokens <= 16
    chunks = list(_create(client, _b64(videos[2]), 'What happens?', max_tokens=16, stop=stop,
                          stream=True))
    assert ''.join(c.choices[0].delta.content or '' for c in chunks) == expected
    assert chunks[-1].choices[0].finish_reason == 'stop'


def test_seeded_sampling_is_reproducible(client, videos):
    """temperature > 0 samples; the same seed gives the same answer, also when requests
    with other seeds run at the same time."""
    def ask(seed: int) -> str:
        return _ask(client, _b64(videos[0]), 'What moves?', temperature=1.0, top_p=1.0,
                    seed=seed)

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(ask, [1, 2, 1, 2]))
    assert got[0] == got[2] and got[1] == got[3] and got[0] != got[1]
    assert ask(1) == got[0]
    assert got[0] != _ask(client, _b64(videos[0]), 'What moves?')  # greedy differs
