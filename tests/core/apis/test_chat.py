"""ChatSession on the tiny random-weight video LLM: upload, multi-turn, streaming, bad input."""
from pathlib import Path

import mmcv
import numpy as np
import pytest
import torch

from mmvideofm.apis import ChatSession
from mmvideofm.apis.chat import chat_frame_indices
from mmvideofm.datasets.video_io import VideoReadError, write_video
from mmvideofm.models.llm import AnswerText

CONFIG = Path(__file__).parents[3] / 'configs' / '_base_' / 'models' / 'tiny_video_llm.py'
GEN = dict(max_new_tokens=12)


@pytest.fixture(scope='module')
def session():
    torch.manual_seed(0)
    return ChatSession.from_config(CONFIG)


@pytest.fixture(scope='module')
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp('chat')
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (20, 40, 48, 3), dtype=np.uint8)
    video = str(root / 'clip.mp4')
    write_video(video, frames, fps=10)
    image = str(root / 'frame.png')
    mmcv.imwrite(frames[0][..., ::-1], image)
    broken = root / 'broken.mp4'
    broken.write_bytes(b'not a video at all')
    return video, image, str(broken)


def test_frame_indices_official():
    # Chat.get_index: seg = (n-1)/segments, start = int(seg/2), start + round(seg*i)
    assert chat_frame_indices(20, 4) == [2, 7, 12, 16]
    assert chat_frame_indices(1, 3) == [0, 0, 0]


def test_multi_turn_streaming(session, media):
    video, _, _ = media
    frames = session.load_video(video)
    assert frames.shape == (4, 32, 32, 3) and frames.dtype == np.uint8
    assert session.history == []
    a1 = session.ask('What is moving?', **GEN)
    assert isinstance(a1, str)
    pieces = list(session.stream('And then?', **GEN))
    assert session.history == [('What is moving?', a1), ('And then?', ''.join(pieces))]
    # the prompt of a third turn carries both answers (official: answer + separator)
    prompt = session.prompt()
    assert prompt.startswith('###Human: <Video><VideoHere></Video>\n###Human: What is moving?')
    assert f'Assistant: {a1}###Human: And then?' in prompt
    # greedy: the same question after reset gives the same answer, streamed or not
    session.reset()
    assert session.history == []
    assert ''.join(session.stream('What is moving?', **GEN)) == a1
    session.reset()
    assert session.ask('What is moving?', **GEN) == a1
    # a stateless API restores the turns: the same prompt, the same next answer
    turns = [('What is moving?', a1), ('And then?', ''.join(pieces))]
    session.reset()
    session.ask(turns[0][0], **GEN)
    session.ask(turns[1][0], **GEN)
    expected_prompt, expected = session.prompt('Why?'), session.ask('Why?', **GEN)
    session.restore_history(turns)
    assert session.history == turns and session.prompt('Why?') == expected_prompt
    assert session.ask('Why?', **GEN) == expected


def test_long_conversation_keeps_its_end(session, media):
    """Official chat: prompt + new tokens beyond max_length -> the beginning is dropped."""
    session.load_video(media[0])
    question = 'what moves and where ' * 40
    model = session.model
    full = model.llm.splice(session.prompt(question).split('<VideoHere>'), [session._visual])
    assert full.shape[1] > 64
    text = AnswerText(model.llm, model.template)  # generate from the last 64 - 4 embeddings
    ids = model.llm.generate(full[:, full.shape[1] + 4 - 64:], stop='###', max_new_tokens=4)
    expected = ''.join(text.push(i) for i in ids) + text.final()
    assert session.ask(question, max_new_tokens=4, max_length=64) == expected
    # the usage counts what the LLM saw: 60 text tokens, the visual ones were cut away
    usage = session.last_usage
    assert (usage.prompt_text_tokens, usage.visual_tokens) == (60, 0)
    assert usage.generated_tokens == len(ids) and usage.hit_length == (len(ids) == 4)
    session.reset()
    assert ''.join(session.stream(question, max_new_tokens=4, max_length=64)) == expected


def test_usage_counts_the_prompt_and_the_generated_tokens(session, media):
    session.load_video(media[0])
    llm = session.model.llm
    segments = session.prompt('What is moving?').split('<VideoHere>')
    ids = llm.generate(llm.splice(segments, [session._visual]), stop='###', max_new_tokens=5)
    session.ask('What is moving?', max_new_tokens=5)
    usage = session.last_usage
    text = len(llm.tokenizer(segments[0]).input_ids) + len(
        llm.tokenizer(segments[1], add_special_tokens=False).input_ids)
    assert (usage.prompt_text_tokens, usage.visual_tokens, usage.prompt_tokens) == (
        text, 8, text + 8)  # 4 + 4 Q-Former queries
    assert usage.generated_tokens == len(ids) and usage.hit_length == (len(ids) == 5)
    assert session.count_tokens('What is moving?') == len(
        llm.tokenizer('What is moving?', add_special_tokens=False).input_ids)


def test_frame_time_message_template(session, media):
    """VideoChat v1's template writes the frame-time message into the video turn."""
    chat = ChatSession(session.model, template='videochat', num_frames=3)
    assert chat.load_video(media[0]).shape == (3, 32, 32, 3)
    prompt = chat.prompt()
    assert 'The video contains 3 frames sampled at 0.3, 0.9, 1.6 seconds.' in prompt


def test_image_chat_and_bad_input(session, media):
    video, image, broken = media
    frames = session.load_image(image)
    assert frames.shape == (1, 32, 32, 3)
    assert '<ImageHere>' in session.prompt('Q?')
    assert isinstance(session.ask('What colour is it?', **GEN), str)
    with pytest.raises(ValueError, match='load_image'):
        session.load_video(image)  # image where a video is expected
    with pytest.raises(ValueError, match='load_video'):
        session.load_image(video)  # video where an image is expected
    with pytest.raises(VideoReadError, match='broken.mp4'):
        session.load_video(broken)
    with pytest.raises(FileNotFoundError):
        session.load_image(image + '.missing.png')
    with pytest.raises(TypeError, match='unknown generation options'):
        session.ask('hi', beams=3)
    with pytest.raises(ValueError, match='empty'):
        session.ask('  ')
    with pytest.raises(ValueError, match='placeholder'):
        session.ask('look at <ImageHere> again')
    fresh = ChatSession(session.model)
    with pytest.raises(RuntimeError, match='load_video'):
        fresh.ask('hello?')
    with pytest.raises(RuntimeError, match='load_video'):
        fresh.restore_history([('q', 'a')])
    with pytest.raises(TypeError, match='cannot chat'):
        ChatSession(torch.nn.Linear(2, 2))
