"""Browser test of the chat web UI: ``tools/chat_ui.py`` on the tiny random-weight video-LLM,
driven by Playwright on Debian's chromium (``make sysdeps`` installs it; no browser download).

Uploads a synthetic mp4, checks the frames and a streamed answer appear over two turns, picks a
sample, clears; uploads a non-video file and a too-large file and checks the messages.
``MMVIDEOFM_CHAT_UI_SCREENSHOT=docs/chat_ui.png`` also saves the screenshot the docs show.
"""
from __future__ import annotations

import contextlib
import os
import os.path as osp
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator

import pytest

from mmvideofm.datasets.synthetic import SyntheticWorld, WorldConfig
from mmvideofm.datasets.video_io import write_video
from mmvideofm.serving.cli import free_port, launched

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'configs/_base_/models/tiny_video_llm.py'
CHROMIUM = shutil.which('chromium') or ('/usr/bin/chromium' if osp.exists('/usr/bin/chromium')
                                        else None)
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--no-first-run']
MAX_UPLOAD_MB = 0.1
TIMEOUT_MS = 60_000

NO_CHROMIUM = ('chromium not found: run `make sysdeps` (apt-get install chromium) for the browser '
               'test')
# skipped without chromium, except in CI (CI=true), where `make test` has installed it
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get('CI'), reason=NO_CHROMIUM)


@contextlib.contextmanager
def tool_server(script: str, *args: str, log_path: str, ready_path: str = '/') -> Iterator[str]:
    """``tools/<script> ... --port P`` in a subprocess (one torch thread); yields its URL."""
    port = free_port()
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO,
               GRADIO_ANALYTICS_ENABLED='False')
    try:
        with launched([sys.executable, script, *args, '--port', str(port)], port, log_path,
                      ready_path, cwd=REPO, env=env) as url:
            yield url
    except RuntimeError as e:
        pytest.fail(str(e))


@pytest.fixture(scope='module')
def ui_url(tmp_path_factory):
    """``tools/chat_ui.py`` on the tiny model; its URL and work dir."""
    if CHROMIUM is None:  # in CI: a failure, not a skip
        pytest.fail(NO_CHROMIUM)
    work = tmp_path_factory.mktemp('chat_ui')
    with tool_server('tools/chat_ui.py', CONFIG, '--work-dir', str(work), '--max-upload-mb',
                     str(MAX_UPLOAD_MB), log_path=str(work / 'ui.log')) as url:
        yield url + '/', work


@pytest.fixture(scope='module')
def page(ui_url):
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={'width': 1280, 'height': 900})
        pg = ctx.new_page()
        pg.set_default_timeout(TIMEOUT_MS)
        pg.goto(ui_url[0])
        pg.wait_for_selector('#upload input[data-testid=file-upload]', state='attached')
        yield pg
        ctx.close()


def _upload(page, path: str) -> str:
    """Upload a file; the status line once it names the file as loaded or refused."""
    page.locator('#upload input[data-testid=file-upload]').set_input_files(path)
    page.wait_for_function(
        "name => { const t = document.querySelector('#status').innerText;"
        " return t.includes(name) && (t.includes('Loaded') || t.includes('refused')); }",
        arg=osp.basename(path))
    return page.inner_text('#status')


def _ask(page, question: str, turns: int) -> list[str]:
    page.fill('#question textarea', question)
    page.click('#send')
    page.wait_for_function(
        f"document.querySelector('#status').innerText.includes('{turns} turn(s) so far')")
    return page.evaluate("Array.from(document.querySelectorAll('#chatbot [data-testid=bot]'))"
                         ".map(e => e.innerText)")


def test_upload_video_then_chat(page, ui_url, tmp_path):
    clip = SyntheticWorld(WorldConfig(num_frames=16, size=32), seed=1).sample(3, 'direction')
    video = write_video(str(tmp_path / 'my clip.mp4'), clip.frames, fps=8)
    status = _upload(page, video)
    assert 'Loaded my clip.mp4: 16 frames at 8 fps, 32x32' in status
    assert page.locator('#frames img').count() >= 1  # the frames the model sees
    stored = os.listdir(ui_url[1] / 'uploads')
    assert len(stored) == 1 and stored[0] != 'my clip.mp4'  # a generated name
    answers = _ask(page, 'What is moving in the video?', 1)
    assert len(answers) == 1 and answers[0].strip()  # random weights: any non-empty text
    answers = _ask(page, 'And where does it go?', 2)
    assert len(answers) == 2 and answers[1].strip()
    user_msgs = page.evaluate("Array.from(document.querySelectorAll('#chatbot [data-testid=user]'))"
                              ".map(e => e.innerText)")
    assert user_msgs == ['What is moving in the video?', 'And where does it go?']
    shot = os.environ.get('MMVIDEOFM_CHAT_UI_SCREENSHOT')
    if shot:
        os.makedirs(osp.dirname(osp.abspath(shot)), exist_ok=True)
        page.screenshot(path=shot, full_page=True)
    page.click('#clear')
    page.wait_for_function("document.querySelectorAll('#chatbot [data-testid=bot]').length == 0")
    assert 'Chat cleared' in page.inner_text('#status')
    # generation settings reach the model: greedy with 3 new tokens gives the start of the
    # 64-token answer to the same first question (compared on letters and digits: the chat
    # renders markdown, and a cut multi-byte character shows as U+FFFD)
    page.click('#settings button')
    page.fill('#max-new-tokens input[type=number]', '3')
    page.press('#max-new-tokens input[type=number]', 'Enter')
    short = _ask(page, 'What is moving in the video?', 1)
    assert len(short) == 1 and re.sub(r'\W', '', answers[0]).startswith(
        re.sub(r'\W', '', short[0]))
    # shorter, unless the 64-token answer itself stopped within 3 tokens (a piece of the
    # tiny tokenizer is at most 9 characters)
    assert len(short[0]) < len(answers[0]) or len(answers[0]) <= 3 * 9
    page.click('#reset')  # drops the video and its stored copy
    page.wait_for_function("document.querySelector('#status').innerText.startsWith('Upload a')"
                           " && document.querySelectorAll('#frames img').length == 0")
    assert os.listdir(ui_url[1] / 'uploads') == []


def test_pick_a_sample(page):
    page.click('#sample input')
    page.click('[data-testid=dropdown-option] >> nth=1')
    page.wait_for_function("document.querySelector('#status').innerText.includes("
                           "'synthetic_direction_1.mp4')")
    assert 'Loaded' in page.inner_text('#status')


def test_non_video_file_is_refused(page, tmp_path):
    fake = tmp_path / 'notes.mp4'
    fake.write_text('these are meeting notes, not a video\n' * 20)
    status = _upload(page, str(fake))
    assert "Upload refused: 'notes.mp4' is not a readable video" in status
    other = tmp_path / 'notes.txt'
    other.write_text('hello')
    status = _upload(page, str(other))
    assert "Upload refused: 'notes.txt' is not a supported file type (.txt)" in status


def test_too_large_file_is_refused(page, tmp_path):
    big = tmp_path / 'big.mp4'
    big.write_bytes(os.urandom(int(1.5 * MAX_UPLOAD_MB * 1024 * 1024)))
    status = _upload(page, str(big))
    assert "Upload refused: 'big.mp4' is too large: 153.6 KB, the limit is 102.4 KB" in status
