"""Stage 1: scene split with PySceneDetect's content detector, still / extreme-motion drop.

InternVid (paper §3) cuts videos with PySceneDetect's content filter at threshold 27 and
drops still clips and clips with extreme motion. The drop criteria here are measurable and
configurable: a clip's *motion* is the mean of PySceneDetect's per-frame ``content_val`` (the
weighted mean absolute HSV / edge change from the previous frame, the quantity the detector
thresholds) over the clip's frames after its first. ``motion < still_threshold`` is a still
clip, ``motion > extreme_threshold`` extreme motion (sustained change close to a cut on
every frame, e.g. shaking cameras or flashes).
"""
from __future__ import annotations

import os
import os.path as osp
from typing import Any

from .base import CURATION_STAGES, CurationError, CurationStage
from .cutting import cut_clip

__all__ = ['SceneSplit', 'detect_scenes']


def _check_readable(path: str) -> None:
    if not osp.isfile(path):
        raise CurationError(f'missing: no file {path!r}')
    if osp.getsize(path) == 0:
        raise CurationError('zero-length: the file is empty (0 bytes)')


def detect_scenes(path: str, threshold: float = 27.0, min_scene_len: int = 15,
                  backend: str = 'pyav') -> dict[str, Any]:
    """Scenes of a video: ``fps``, ``num_frames``, ``scenes`` ``[(start, end)]`` (frames,
    end exclusive), ``cuts`` and per-frame ``content_val`` (index f: change from f-1 to f).

    Raises:
        CurationError: the file is missing, empty, unreadable or truncated.
    """
    import scenedetect
    from scenedetect import SceneManager, StatsManager
    from scenedetect.detectors import ContentDetector
    _check_readable(path)
    try:
        video = scenedetect.open_video(path, backend=backend)
    except Exception as e:  # noqa: BLE001 - every backend raises its own types
        raise CurationError(f'unreadable: {type(e).__name__}: {str(e).strip()[:200]}') from e
    declared = video.duration.frame_num if video.duration is not None else 0
    manager = SceneManager(StatsManager())
    manager.auto_downscale = False  # detect on the frames as decoded
    manager.add_detector(ContentDetector(threshold=threshold, min_scene_len=min_scene_len))
    try:
        decoded = manager.detect_scenes(video)
    except Exception as e:  # noqa: BLE001
        raise CurationError(f'unreadable: decoding failed ({type(e).__name__}: '
                            f'{str(e).strip()[:200]})') from e
    if decoded == 0:
        raise CurationError('unreadable: no frame could be decoded')
    if declared and decoded < declared:
        raise CurationError(f'truncated: decoded {decoded} of the {declared} frames the '
                            'container declares')
    scenes = [(s.frame_num, e.frame_num) for s, e in
              manager.get_scene_list(start_in_scene=True)]
    stats = manager.stats_manager
    content = [0.0] + [float(stats.get_metrics(f, ['content_val'])[0] or 0.0)
                       for f in range(1, decoded)]
    return dict(fps=float(video.frame_rate), num_frames=int(decoded), scenes=scenes,
                cuts=[s for s, _ in scenes[1:]], content_val=content)


@CURATION_STAGES.register_module()
class SceneSplit(CurationStage):
    """Cut a video into scenes and keep the clips that pass the motion / duration filters.

    Args:
        threshold: ContentDetector threshold (InternVid: 27).
        min_scene_len: Shortest scene in frames (PySceneDetect's default 15).
        still_threshold: Clips with mean ``content_val`` below this are still (dropped).
        extreme_threshold: Clips with mean ``content_val`` above this are extreme motion.
        min_duration / max_duration: Clip length bounds in seconds (None: no bound).
        output: ``'timestamps'`` (clips are time ranges of the source) or ``'cut'`` (also
            write each kept clip to ``cut_dir/<key>_<clip>.mp4`` with PyAV: stream copy when
            the clip starts on a key frame, else re-encoded).
        cut_dir: Folder for ``output='cut'`` (relative paths are under the work dir).
        backend: PySceneDetect video backend (``'pyav'``, ``'opencv'``).
    """

    default_name = 'scenes'

    def __init__(self, threshold: float = 27.0, min_scene_len: int = 15,
                 still_threshold: float = 1.0, extreme_threshold: float = 20.0,
                 min_duration: float | None = None, max_duration: float | None = None,
                 output: str = 'timestamps', cut_dir: str = 'clips', backend: str = 'pyav',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if output not in ('timestamps', 'cut'):
            raise ValueError(f"SceneSplit output must be 'timestamps' or 'cut', got {output!r}")
        if still_threshold >= extreme_threshold:
            raise ValueError(f'still_threshold ({still_threshold}) must be below '
                             f'extreme_threshold ({extreme_threshold})')
        self.threshold = threshold
        self.min_scene_len = min_scene_len
        self.still_threshold = still_threshold
        self.extreme_threshold = extreme_threshold
        self.min_duration = min_duration
        self.max_duration = max_duration
        self.output = output
        self.cut_dir = cut_dir
        self.backend = backend

    def drop_reason(self, motion: float, duration: float) -> str | None:
        """Why a clip is dropped (``'still'``, ``'extreme_motion'``, ``'too_short'``,
        ``'too_long'``), or None to keep it."""
        if motion < self.still_threshold:
            return 'still'
        if motion > self.extreme_threshold:
            return 'extreme_motion'
        if self.min_duration is not None and duration < self.min_duration:
            return 'too_short'
        if self.max_duration is not None and duration > self.max_duration:
            return 'too_long'
        return None

    def process(self, video: dict[str, Any], inputs: dict[str, dict]) -> dict[str, Any]:
        det = detect_scenes(video['path'], self.threshold, self.min_scene_len, self.backend)
        fps = det['fps'] or 1.0
        kept, dropped = [], []
        for start, end in det['scenes']:
            inner = det['content_val'][start + 1:end]
            motion = sum(inner) / len(inner) if inner else 0.0
            clip = dict(start_frame=start, end_frame=end, start=start / fps, end=end / fps,
                        duration=(end - start) / fps, motion=round(motion, 4))
            reason = self.drop_reason(motion, clip['duration'])
            if reason:
                dropped.append(dict(clip, reason=reason))
            else:
                kept.append(clip)
        if self.output == 'cut':
            folder = self.cut_dir if osp.isabs(self.cut_dir) else osp.join(
                video.get('work_dir', '.'), self.cut_dir)
            os.makedirs(folder, exist_ok=True)
            for i, clip in enumerate(kept):
                dst = osp.join(folder, f'{video["key"]}_{i:04d}.mp4')
                clip['cut_mode'] = cut_clip(video['path'], clip['start_frame'],
                                            clip['end_frame'], dst)
                clip['cut_path'] = dst
        return dict(fps=fps, num_frames=det['num_frames'], cuts=det['cuts'], clips=kept,
                    dropped=dropped)
