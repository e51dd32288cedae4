import numpy as np
import pytest

import mmvideofm  # noqa: F401  (compat shims)
from mmvideofm.datasets.video_io import write_video


def make_frames(t: int = 12, h: int = 24, w: int = 32, seed: int = 0) -> np.ndarray:
    """Frames whose pixels encode their index (flat colour per frame + a bright square)."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 60, size=(t, h, w, 3), dtype=np.uint8)
    for i in range(t):
        frames[i, 2:8, 2 + i % (w - 8):8 + i % (w - 8)] = (230, 40, 40)
        frames[i, -1, -1] = i  # frame id in one pixel
    return frames


@pytest.fixture
def frames() -> np.ndarray:
    return make_frames()


@pytest.fixture
def mp4(tmp_path, frames) -> str:
    return write_video(str(tmp_path / 'clip.mp4'), frames, fps=10)
