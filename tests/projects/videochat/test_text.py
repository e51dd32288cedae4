"""VideoChat-Text: the official prompt (field order and formats, history cut), the synthetic
ground truth as the perception oracle, a registered recognizer as the action step, a tiny
local LLM and an OpenAI-compatible endpoint as the chat LLM."""
import json

import httpx
import numpy as np
import pytest
import torch

from mmvideofm.datasets.synthetic import SyntheticWorld
from projects.videochat.text import (
    VIDEOCHAT_TEXT,
    VideoChatText,
    VideoDescription,
    VideoText,
    build_prompt,
    cut_dialogue_history,
    second_frame_indices,
)

TOKENIZER = 'mmvideofm/datasets/synthetic/assets/synthetic_llama_tokenizer/tokenizer.model'


def test_frame_sampling_is_official():
    assert second_frame_indices(300, 30.0) == [0, 33, 66, 100, 133, 166, 200, 233, 266, 299]
    assert len(second_frame_indices(60, 30.0)) == 8  # at least 8 frames


def test_prompt_fields_in_official_order():
    desc = VideoDescription(tags=['dog', 'ball'], second=['a dog', 'a ball'],
                            dense=[(0, 'dog left')], general='A dog plays.', action='playing')
    prompt = build_prompt(desc, 'What is it?', 'Human: hi\nAI: hello')
    assert prompt.startswith('ChatVideo is a chatbot that chats with you based on video '
                             'descriptions.\n\n\n\nWhen you have a response to say to the '
                             'Human,  you MUST use the format:\n```\nAI: [your response here]')
    expected = ('Video tags are: dog | ball\n\nThe second description of the video is: '
                'Second 1:a dog.\n Second 2:a ball.\n\n\nThe dense caption of the video is: '
                'Second 1 : dog left.\n\n\nThe general description of the video is: A dog '
                'plays.Previous conversation history Human: hi\nAI: hello\n\nNew input: What '
                'is it?\n\n')
    assert prompt.endswith(expected)
    assert 'playing' not in prompt  # the released variant shows the action in its UI only
    assert 'The action in the video is: playing.' in build_prompt(desc, 'q', with_action=True)


def test_history_cut_keeps_last_words():
    history = '\n'.join(f'Human: q{i} ' + 'w ' * 50 + f'\nAI: a{i}' for i in range(20))
    cut = cut_dialogue_history(history, 500)
    assert cut.startswith('\n') and len(cut.split()) < 500 and cut.endswith('AI: a19')
    assert cut_dialogue_history('short one', 500) == 'short one'


def _synthetic_video():
    clip = SyntheticWorld(seed=3).sample(0, task='direction')
    return clip, VideoText(clip.frames, fps=4.0, meta=dict(clip=clip))


class RecordingLLM:
    def __init__(self, reply):
        self.reply, self.prompts = reply, []

    def __call__(self, prompt, stop):
        self.prompts.append(prompt)
        return self.reply


def test_oracle_pipeline_and_multi_turn_chat():
    clip, video = _synthetic_video()
    llm = RecordingLLM('Thought: no tool\nAI: It moves \\ right.')
    bot = VideoChatText([dict(type='SyntheticOracleStep')], llm)
    desc = bot.watch(video)
    assert desc.general == clip.caption and len(desc.second) == len(video.indices)
    assert {f'{o.colors[0]} {o.shape}' for o in clip.objects} <= set(desc.tags)
    assert bot.ask('Where does it go?') == 'It moves / right.'  # official backslash rule
    bot.ask('And then?')
    assert f'The general description of the video is: {clip.caption}Previous' \
        in llm.prompts[0]
    assert 'Human: Where does it go?\nAI: It moves / right.' in llm.prompts[1]
    assert llm.prompts[1].endswith('New input: And then?\n\n')


def test_tiny_local_llm(tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    LlamaForCausalLM(LlamaConfig(
        vocab_size=1000, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
        num_attention_heads=2, max_position_embeddings=4096)).save_pretrained(tmp_path)
    llm = VIDEOCHAT_TEXT.build(dict(type='TransformersChatLLM', model=str(tmp_path),
                                    tokenizer=TOKENIZER, max_new_tokens=5))
    bot = VideoChatText([dict(type='SyntheticOracleStep')], llm)
    bot.watch(_synthetic_video()[1])
    answer = bot.ask('What moves?')
    ids = llm.tokenizer(bot.prompt('x'), return_tensors='pt')['input_ids']
    assert ids.shape[1] > 100 and isinstance(answer, str)
    assert bot.memory == [('What moves?', answer)]


def test_openai_compatible_endpoint():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        return httpx.Response(200, json=dict(
            id='x', object='chat.completion', created=0, model=body['model'],
            choices=[dict(index=0, finish_reason='stop',
                          message=dict(role='assistant', content='AI: A square.'))]))
    llm = VIDEOCHAT_TEXT.build(dict(
        type='OpenAIChatLLM', base_url='http://test/v1', model='tiny',
        http_client=httpx.Client(transport=httpx.MockTransport(handler))))
    bot = VideoChatText([dict(type='SyntheticOracleStep')], llm)
    bot.watch(_synthetic_video()[1])
    assert bot.ask('What is it?') == 'A square.'
    assert seen[0]['temperature'] == 0.0 and seen[0]['stop'] == ['\nObservation:']
    assert seen[0]['messages'][0]['content'].endswith('New input: What is it?\n\n')


def test_registered_recognizer_as_action_step():
    labels = ['left', 'right', 'up', 'down', 'static']
    step = VIDEOCHAT_TEXT.build(dict(
        type='ActionRecognitionStep', labels=labels, size=32,
        model=dict(type='Recognizer3D',
                   backbone=dict(type='VideoViT', img_size=32, patch_size=16, embed_dim=32,
                                 depth=1, num_heads=2, num_frames=8),
                   cls_head=dict(type='TimeSformerHead', num_classes=5, in_channels=32),
                   data_preprocessor=dict(type='ActionDataPreprocessor',
                                          format_shape='NCTHW'))))
    desc = VideoDescription()
    step(_synthetic_video()[1], desc)
    assert desc.action in labels
    with pytest.raises(KeyError, match="meta\\['clip'\\]"):
        VIDEOCHAT_TEXT.build(dict(type='SyntheticOracleStep'))(
            VideoText(np.zeros((4, 8, 8, 3), np.uint8), 4.0), VideoDescription())
