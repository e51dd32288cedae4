"""tools/chat.py: a terminal chat driven through stdin (tiny random-weight video LLM)."""
import io
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmvideofm.datasets.video_io import write_video

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'chat.py')
CONFIG = osp.join(REPO, 'configs', '_base_', 'models', 'tiny_video_llm.py')
sys.path.insert(0, REPO)

from tools import chat as tool  # noqa: E402


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp('chat_tool')
    rng = np.random.default_rng(1)
    paths = []
    for i in range(2):
        path = str(root / f'clip{i}.mp4')
        write_video(path, rng.integers(0, 255, (12, 32, 32, 3), dtype=np.uint8), fps=8)
        paths.append(path)
    return paths


def run(argv, lines):
    out = io.StringIO()
    code = tool.main(argv, stdin=io.StringIO(''.join(f'{x}\n' for x in lines)), stdout=out)
    return code, out.getvalue()


def test_turns_reset_switch_quit(videos):
    argv = [CONFIG, '--video', videos[0], '--max-new-tokens', '8']
    code, text = run(argv, ['What moves?', '/history', '/reset', 'What moves?',
                            f'/video {videos[1]}', '/image missing.png', '/nope',
                            'And now?', '/quit', 'never asked'])
    assert code == 0
    assert text.count('Assistant: ') == 3
    answers = [ln[len('You: Assistant: '):] for ln in text.splitlines()
               if ln.startswith('You: Assistant: ')]
    assert answers[0] == answers[1]  # greedy, reset: the same question, the same answer
    assert f'  Q: What moves?\n  A: {answers[0]}' in text
    assert '[conversation reset]' in text
    assert f'[video {videos[1]}: 4 frame(s) of 32x32]' in text
    assert 'error: image missing.png does not exist' in text
    assert "unknown command '/nope'" in text
    assert 'never asked' not in text


def test_bad_input_and_stdin_end(videos, tmp_path):
    code, text = run([CONFIG, '--image', videos[0]], [])
    assert code == 2 and 'use load_video() for videos' in text
    code, text = run([CONFIG, '--video', videos[0], '--max-new-tokens', '4'], ['hi'])
    assert code == 0 and text.count('Assistant: ') == 1  # end of input ends the chat
    with pytest.raises(SystemExit):
        tool.parse_args([CONFIG])  # a video or an image is required


@pytest.mark.slow  # ~10-30 s: a fresh interpreter imports torch, mmaction2, transformers
def test_subprocess_stdin(videos):
    """The script itself, as a user runs it, with piped input."""
    res = subprocess.run([sys.executable, TOOL, CONFIG, '--video', videos[0],
                          '--max-new-tokens', '4'], input='What moves?\n/quit\n',
                         capture_output=True, text=True, timeout=300, cwd=REPO,
                         env={'OMP_NUM_THREADS': '1', 'PATH': '/usr/bin:/bin'})
    assert res.returncode == 0, res.stderr[-2000:]
    assert 'You: Assistant: ' in res.stdout and HELP_START in res.stdout


HELP_START = 'commands: /reset'
