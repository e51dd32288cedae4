"""Shared fixtures of the serving tests: small synthetic videos and a scripted chat session."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from mmvideofm.datasets.synthetic import SyntheticWorld, WorldConfig
from mmvideofm.datasets.video_io import open_video, write_video


@pytest.fixture(scope='session')
def clip_mp4(tmp_path_factory) -> str:
    """An 8-frame 32x32 synthetic clip as mp4."""
    frames = SyntheticWorld(WorldConfig(num_frames=8, size=32), seed=0).sample(0, 'direction')
    return write_video(str(tmp_path_factory.mktemp('media') / 'clip.mp4'), frames.frames, fps=8)


class ScriptedSession:
    """A chat session double: answers name the question and the video's frame count, so a
    mixed-up request shows; ``gate`` (a ``threading.Event``) holds answers back."""

    gate: threading.Event | None = None
    created = 0
    system: str | None = None

    def __init__(self) -> None:
        type(self).created += 1
        self.frames: np.ndarray | None = None
        self.history: list[tuple[str, str]] = []

    def load_video(self, path: str) -> np.ndarray:
        with open_video(path) as r:
            self.frames = r.get_frames(range(len(r)))
        return self.frames

    load_image = load_video

    def stream(self, text: str, **generation):
        if self.gate is not None:
            assert self.gate.wait(30)
        n = 0 if self.frames is None else len(self.frames)
        words = [f'{text}', f'|frames={n}', f'|turns={len(self.history)}',
                 f'|max_new_tokens={generation.get("max_new_tokens")}']
        words += [f'|system={self.system}'] if self.system else []
        answer = ''
        for w in words:
            answer += w
            yield w
        self.history.append((text, answer))

    def ask(self, text: str, **generation) -> str:
        return ''.join(self.stream(text, **generation))

    def reset(self) -> None:
        self.history = []


class EchoGeneration(ScriptedSession):
    """Answers with the generation settings it was given."""

    def stream(self, text: str, **generation):
        yield repr(sorted(generation.items()))
