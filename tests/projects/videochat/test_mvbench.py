"""The VideoChat MVBench answerer: an official delta checkpoint converted on the fly, a
checkpoint that lacks trainable tensors refused, generation on the harness prompt."""
from types import SimpleNamespace

import pytest
import torch

from projects.videochat.mvbench import VideoChatMVBenchAnswerer

from .fixtures import build_case, load_case

CASE = 'videochat_f8_s42_d2_g1'


def test_official_delta_and_generation(tmp_path):
    state, io, facts = load_case(CASE)
    delta = {k: state[k] for k in facts['delta_ckpt_keys']}
    torch.save(dict(model=delta), tmp_path / 'videochat_7b.pth')
    answerer = VideoChatMVBenchAnswerer(build_case(CASE, load=False),
                                        str(tmp_path / 'videochat_7b.pth'), max_new_tokens=4)
    torch.testing.assert_close(answerer.model.llm_proj.weight, state['llama_proj.weight'])
    torch.testing.assert_close(answerer.model.vision_encoder.gmhra[0].dpe.weight,
                               state['visual_encoder.gmhra.0.dpe.weight'])
    prompt = SimpleNamespace(text='###Human: <Video><VideoHere></Video>\n###Human: Which one?'
                                  '\n###Assistant: Best option:(')
    raw = answerer.generate(io['video'][0], prompt)  # (T, 3, H, W) as the harness passes
    assert isinstance(raw, str)
    del delta['llama_proj.weight']
    torch.save(delta, tmp_path / 'bad.pth')
    with pytest.raises(ValueError, match='llm_proj.weight'):
        VideoChatMVBenchAnswerer(build_case(CASE, load=False), str(tmp_path / 'bad.pth'))
