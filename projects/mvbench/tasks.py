"""The 20 MVBench tasks as data, plus the published leaderboard (paper Table 2).

Order, JSON file names, folder prefixes, reader types and bound flags follow the
``data_list`` table of the official evaluation notebook
(``OpenGVLab/Ask-Anything`` ``video_chat2/mvbench.ipynb``); the ``video`` branch
folders follow the pre-cut release on the HF dataset's ``video`` branch.
"""
from dataclasses import dataclass
from typing import Literal

__all__ = [
    'MVBenchTask', 'TASKS', 'TASK_NAMES', 'get_task', 'PUBLISHED_RESULTS', 'LAYOUTS',
]

# The two on-disk layouts of the HF dataset ``OpenGVLab/MVBench``.
#  - 'main': raw videos, ``start``/``end`` bounds applied at sampling (official protocol).
#  - 'video_branch': pre-cut segments (``video`` branch), bounds already applied, so ignored.
LAYOUTS = ('main', 'video_branch')


@dataclass(frozen=True)
class MVBenchTask:
    """One row of the official task table."""

    name: str  # e.g. 'Action Sequence' (the leaderboard key)
    abbr: str  # e.g. 'AS' (paper Table 2 column)
    json_file: str  # file under ``json/``
    prefix_literal: str  # the notebook's prefix string, verbatim (quirks included)
    video_folder: str  # folder under ``video/`` on the ``main`` branch
    reader: Literal['video', 'frame']  # decord video vs. JPEG frame folder
    bound: bool  # items carry ``start``/``end`` seconds
    num_options: int | None  # None: mixed (Counterfactual Inference)
    video_branch_folder: str  # pre-cut folder on the ``video`` branch
    source: str  # source dataset

    def folder(self, layout: str = 'main') -> str:
        """Folder (relative to the video root) holding this task's videos."""
        if layout not in LAYOUTS:
            raise ValueError(f'layout must be one of {LAYOUTS}, got {layout!r}')
        return self.video_folder if layout == 'main' else self.video_branch_folder

    def reader_for(self, layout: str = 'main') -> str:
        # the video branch ships Episodic Reasoning as pre-cut mp4s
        return self.reader if layout == 'main' else 'video'

    def bound_for(self, layout: str = 'main') -> bool:
        return self.bound if layout == 'main' else False


def _t(name, abbr, json_file, folder, reader, bound, num_options, vb_folder, source,
       prefix=None):
    return MVBenchTask(name, abbr, json_file, prefix or f'your_data_path/{folder}', folder,
                       reader, bound, num_options, vb_folder, source)


TASKS: tuple[MVBenchTask, ...] = (
    _t('Action Sequence', 'AS', 'action_sequence.json', 'star/Charades_v1_480/', 'video',
       True, 4, 'star/Charades_segment/', 'STAR'),
    _t('Action Prediction', 'AP', 'action_prediction.json', 'star/Charades_v1_480/', 'video',
       True, 4, 'star/Charades_segment/', 'STAR'),
    _t('Action Antonym', 'AA', 'action_antonym.json', 'ssv2_video/', 'video',
       False, 3, 'ssv2_video_mp4/', 'PAXION (SSv2)'),
    # the notebook's prefix really has a stray 'p'; kept verbatim in prefix_literal
    _t('Fine-grained Action', 'FA', 'fine_grained_action.json', 'Moments_in_Time_Raw/videos/',
       'video', False, 4, 'Moments_in_Time_Raw/videos/', 'Moments in Time',
       prefix='pyour_data_path/Moments_in_Time_Raw/videos/'),
    _t('Unexpected Action', 'UA', 'unexpected_action.json', 'FunQA_test/test/', 'video',
       False, 4, 'FunQA_test/test/', 'FunQA'),
    _t('Object Existence', 'OE', 'object_existence.json', 'clevrer/video_validation/', 'video',
       False, 3, 'clevrer/video_validation/', 'CLEVRER'),
    _t('Object Interaction', 'OI', 'object_interaction.json', 'star/Charades_v1_480/', 'video',
       True, 4, 'star/Charades_segment/', 'STAR'),
    _t('Object Shuffle', 'OS', 'object_shuffle.json', 'perception/videos/', 'video',
       False, 3, 'perception/videos/', 'Perception Test'),
    _t('Moving Direction', 'MD', 'moving_direction.json', 'clevrer/video_validation/', 'video',
       False, 4, 'clevrer/video_validation/', 'CLEVRER'),
    _t('Action Localization', 'AL', 'action_localization.json', 'sta/sta_video/', 'video',
       True, 4, 'sta/sta_video_segment/', 'Charades-STA'),
    _t('Scene Transition', 'ST', 'scene_transition.json', 'scene_qa/video/', 'video',
       False, 4, 'scene_qa/video/', 'MovieNet'),
    _t('Action Count', 'AC', 'action_count.json', 'perception/videos/', 'video',
       False, 3, 'perception/videos/', 'Perception Test'),
    _t('Moving Count', 'MC', 'moving_count.json', 'clevrer/video_validation/', 'video',
       False, 4, 'clevrer/video_validation/', 'CLEVRER'),
    _t('Moving Attribute', 'MA', 'moving_attribute.json', 'clevrer/video_validation/', 'video',
       False, 3, 'clevrer/video_validation/', 'CLEVRER'),
    _t('State Change', 'SC', 'state_change.json', 'perception/videos/', 'video',
       False, 3, 'perception/videos/', 'Perception Test'),
    _t('Fine-grained Pose', 'FP', 'fine_grained_pose.json', 'nturgbd/', 'video',
       False, 4, 'nturgbd_convert/', 'NTU RGB+D'),
    _t('Character Order', 'CO', 'character_order.json', 'perception/videos/', 'video',
       False, 3, 'perception/videos/', 'Perception Test'),
    _t('Egocentric Navigation', 'EN', 'egocentric_navigation.json', 'vlnqa/', 'video',
       False, 4, 'vlnqa/', 'VLN-CE'),
    _t('Episodic Reasoning', 'ER', 'episodic_reasoning.json', 'tvqa/frames_fps3_hq/', 'frame',
       True, 5, 'tvqa/video_fps3_hq_segment/', 'TVQA'),
    _t('Counterfactual Inference', 'CI', 'counterfactual_inference.json',
       'clevrer/video_validation/', 'video', False, None, 'clevrer/video_validation/',
       'CLEVRER'),
)

TASK_NAMES: tuple[str, ...] = tuple(t.name for t in TASKS)


def get_task(key: str) -> MVBenchTask:
    """Look a task up by name ('Action Sequence'), abbreviation ('AS') or JSON stem."""
    k = key.strip()
    for t in TASKS:
        if k in (t.name, t.abbr, t.json_file, t.json_file[:-5]):
            return t
    raise KeyError(f'unknown MVBench task {key!r}; known: {", ".join(TASK_NAMES)}')


def _row(*vals: float) -> dict[str, float]:
    assert len(vals) == 20
    return dict(zip(TASK_NAMES, vals))


# Paper Table 2 (per-task accuracy, %) with the printed Avg. Task order = TASKS.
PUBLISHED_RESULTS: dict[str, dict] = {
    'Random': dict(Avg=27.3, **_row(25, 25, 33.3, 25, 25, 33.3, 25, 33.3, 25, 25, 25, 33.3, 25,
                                     33.3, 33.3, 25, 33.3, 25, 20, 30.9)),
    'Video-ChatGPT (Vicuna-7B)': dict(Avg=32.7, **_row(
        23.5, 26.0, 62.0, 22.5, 26.5, 54.0, 28.0, 40.0, 23.0, 20.0, 31.0, 30.5, 25.5, 39.5,
        48.5, 29.0, 33.0, 29.5, 26.0, 35.5)),
    'VideoLLaMA (Vicuna-7B)': dict(Avg=34.1, **_row(
        27.5, 25.5, 51.0, 29.0, 39.0, 48.0, 40.5, 38.0, 22.5, 22.5, 43.0, 34.0, 22.5, 32.5,
        45.5, 32.5, 40.0, 30.0, 21.0, 37.0)),
    'VideoChat (Vicuna-7B)': dict(Avg=35.5, **_row(
        33.5, 26.5, 56.0, 33.5, 40.5, 53.0, 40.5, 30.0, 25.5, 27.0, 48.5, 35.0, 20.5, 42.5,
        46.0, 26.5, 41.0, 23.5, 23.5, 36.0)),
    'VideoChat2_text (Vicuna-7B)': dict(Avg=34.7, **_row(
        24.5, 27.0, 49.5, 27.0, 38.0, 53.0, 28.0, 40.0, 25.5, 27.0, 38.5, 41.5, 27.5, 32.5,
        46.5, 26.5, 36.0, 33.0, 32.0, 40.0)),
    'VideoChat2 (Vicuna-7B)': dict(Avg=51.1, **_row(
        66.0, 47.5, 83.5, 49.5, 60.0, 58.0, 71.5, 42.5, 23.0, 23.0, 88.5, 39.0, 42.0, 58.5,
        44.0, 49.0, 36.5, 35.0, 40.5, 65.5)),
}
