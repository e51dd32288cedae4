"""Adapters from the synthetic world's ground truth to MVBench task types, and the
tiny-MVBench exporter.

Each adapter turns a clip's ground truth (objects, colours, boxes, events) into one
annotation for :class:`MCQGenerator`; the export writes the official layout
(``json/<task>.json`` + ``video/<task folder>/<clip>.mp4``), so the harness that reads
the real benchmark reads this one.

Expressed task types: Action Sequence, Object Existence, Object Shuffle, Moving
Direction, Action Localization, Scene Transition, Action Count, Moving Count, Moving
Attribute, State Change. Not expressed: Unexpected Action (the world has no notion of
expectation); the other 9 need humans/NTU/TVQA-like content.
"""
import os
import os.path as osp
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch

from mmvideofm.datasets.synthetic import COLORS, SHAPES, SyntheticWorld, WorldConfig
from mmvideofm.datasets.video_io import write_video
from mmvideofm.registry import MODELS

from ..dataset import CLIP_MEAN, CLIP_STD
from ..models import MVBenchAnswerer, _item_seed
from ..tasks import get_task
from .mcq import MCQGenerator, MCQTaskSpec, write_mvbench_jsons

__all__ = ['ADAPTERS', 'TASK_SPECS', 'make_annotations', 'export_tiny_mvbench',
           'SyntheticColourMatcher', 'object_shuffle_world']

DIRECTION_PHRASES = {
    'up': 'Upward', 'down': 'Downward', 'left': 'To the left', 'right': 'To the right',
    'up-left': 'Up and to the left', 'up-right': 'Up and to the right',
    'down-left': 'Down and to the left', 'down-right': 'Down and to the right',
    'static': 'Nothing moves',
}
COUNT_WORDS = ['0', '1', '2', '3']
OE_ANSWERS = ['An object enters', 'An object leaves', 'No object enters or leaves']
AL_ANSWERS = ['At the beginning of the video', 'In the middle of the video',
              'At the end of the video', 'Throughout the entire video']
COLOUR_NAMES = list(COLORS)
# 3 x 3 grid cell (row, column) of an object's box centre -> answer phrase
REGION_PHRASES = {
    (0, 0): 'At the top left', (0, 1): 'At the top', (0, 2): 'At the top right',
    (1, 0): 'On the left', (1, 1): 'In the center', (1, 2): 'On the right',
    (2, 0): 'At the bottom left', (2, 1): 'At the bottom', (2, 2): 'At the bottom right',
}

# task -> MCQ spec (label_space None: each annotation brings its distractors)
TASK_SPECS: dict[str, MCQTaskSpec] = {s.task: s for s in [
    MCQTaskSpec('Action Sequence', ['Two objects change colour. Which one changes colour '
                                    'first?', 'Which object changes its colour first?'],
                [f'The {s}' for s in SHAPES], 4),
    MCQTaskSpec('Object Existence', ['Does an object enter or leave the scene during the '
                                     'video?'], OE_ANSWERS, 3),
    MCQTaskSpec('Object Shuffle', ['The {colour} {shape} changes its colour while the '
                                   '{shapes} move. Where is it at the end of the video?',
                                   'Where is the {shape} that was {colour} at the start of '
                                   'the video when the video ends?'], None, 3),
    MCQTaskSpec('Moving Direction', ['In which direction is the moving object going?',
                                     'Which way does the object that moves travel?'],
                list(DIRECTION_PHRASES.values()), 4),
    MCQTaskSpec('Action Localization', ['When does an object change its colour?',
                                        'At what point in the video does the colour change '
                                        'happen?'], AL_ANSWERS, 4, max_len_ratio=2.0),
    MCQTaskSpec('Scene Transition', ["What's the right option for how the scenes in the "
                                     'video change?'], None, 4),
    MCQTaskSpec('Action Count', ['How many times does an object change its colour?'],
                COUNT_WORDS, 3),
    MCQTaskSpec('Moving Count', ['How many objects are moving in the video?',
                                 'How many of the objects move?'], COUNT_WORDS, 4),
    MCQTaskSpec('Moving Attribute', ['What colour is the moving object?',
                                     'Which colour does the object that moves have?'], None, 3),
    MCQTaskSpec('State Change', ['How does the colour of the {object} change during the '
                                 'video?'], None, 3),
]}


# Answer balancing (a static shortcut otherwise): class -> weight; items of other classes
# are not used. Tasks not listed have per-item unique answers.
BALANCE: dict[str, dict[str, float]] = {
    'Action Sequence': {f'The {s}': 1 for s in SHAPES},
    'Object Existence': {a: 1 for a in OE_ANSWERS},
    'Moving Direction': {a: 1 for a in DIRECTION_PHRASES.values()},
    'Action Localization': {a: 1 for a in AL_ANSWERS[:3]},
    'Action Count': {a: 1 for a in COUNT_WORDS},
    'Moving Count': {a: 1 for a in COUNT_WORDS[:3]},  # 3 movers is too rare to balance
    # every State Change item shows 1 'It stays' + 2 'From x to y' options, so the truth
    # must be 'stays' 1/3 of the time for the option form to carry no information
    'State Change': {'stay': 1, 'change': 2},
}


def _desc(o, t: int) -> str:
    return f'{o.colors[t]} {o.shape}'


def _a(noun: str) -> str:
    return f'an {noun}' if noun[0] in 'aeiou' else f'a {noun}'


def _scene(clip) -> str:
    objs = sorted(clip.objects, key=lambda o: o.id)
    names = [_a(_desc(o, 0)) for o in objs if o.visible[0]]
    return ' and '.join(names) if names else 'nothing'


# ---------------------------------------------------------------- adapters
# fn(world, index, rng) -> (frames (T,H,W,3), annotation) or None (clip not usable)
def _action_sequence(world, i, rng):
    clip = world.sample(i, 'order')
    first = min((e for e in clip.events if e.kind == 'color_change'), key=lambda e: e.frame)
    shape = clip.objects[first.objects[0]].shape
    if sum(o.shape == shape for o in clip.objects) != 1:
        return None
    return clip.frames, dict(answer=f'The {shape}', bound=True)


def _object_existence(world, i, rng):
    clip = world.sample(i, None)
    kinds = {e.kind for e in clip.events}
    if 'appear' in kinds and 'disappear' in kinds:
        return None
    ans = OE_ANSWERS[0] if 'appear' in kinds else OE_ANSWERS[1] if 'disappear' in kinds \
        else OE_ANSWERS[2]
    return clip.frames, dict(answer=ans)


OS_WORLD = dict(max_objects=4)  # free clips, one shape per clip (set per item)
OS_SCAN = 128  # clip indices tried per item (about 2% are usable)


def _region(box: np.ndarray, size: int) -> tuple[int, int]:
    """3 x 3 grid cell ``(row, col)`` of a ``(4,)`` xyxy box's centre."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return min(2, int(cy * 3 // size)), min(2, int(cx * 3 // size))


def _shuffle_target(clip):
    """``(target, finals)`` of a clip usable for Object Shuffle, else ``None``.

    The target changes colour before the middle frame and then moves to another grid
    cell, so no single frame shows both who it is (its first colour) and where it ends:
    before the change it is elsewhere, from the change on its first colour is gone
    (no other object ever has it). Every object on screen at the end is in its own
    cell (the options), and at least two of them move, so the target is not "the one
    that moves" either."""
    T, size = len(clip.frames), clip.frames.shape[1]
    finals = [o for o in clip.objects if o.visible[-1]]
    if len(finals) < 3 or len({_region(o.boxes[-1], size) for o in finals}) < len(finals):
        return None
    if sum(o.direction not in (None, 'static') for o in finals) < 2:
        return None
    for e in clip.events:
        if e.kind != 'color_change' or e.frame >= T // 2:
            continue
        o = clip.objects[e.objects[0]]
        if not o.visible[0] or not o.visible[-1] or any(
                o.colors[0] in x.colors for x in clip.objects if x is not o):
            continue
        end = _region(o.boxes[-1], size)
        if all(_region(o.boxes[t], size) != end for t in range(e.frame)):
            return o, finals
    return None


def object_shuffle_world(world: SyntheticWorld, shape: str) -> SyntheticWorld:
    """The world Object Shuffle clips come from: ``world``'s frames, one ``shape`` (so
    only the changing colour tells objects apart), up to 4 objects, its own seed."""
    return SyntheticWorld(replace(world.config, shapes=(shape,), **OS_WORLD),
                          seed=_item_seed(world.seed, 'Object Shuffle'), split=world.split)


def _object_shuffle(world, i, rng):
    shape = SHAPES[int(rng.integers(len(SHAPES)))]
    w = object_shuffle_world(world, shape)
    for j in range(i * OS_SCAN, (i + 1) * OS_SCAN):
        clip = w.sample(j, None)
        found = _shuffle_target(clip)
        if found is None:
            continue
        o, finals = found
        size = clip.frames.shape[1]
        answer = REGION_PHRASES[_region(o.boxes[-1], size)]
        others = [REGION_PHRASES[_region(x.boxes[-1], size)] for x in finals if x is not o]
        plural = shape + ('es' if shape.endswith('s') else 's')
        return clip.frames, dict(answer=answer, distractors=others, clip_index=j,
                                 fields=dict(colour=o.colors[0], shape=shape, shapes=plural))
    return None


def _moving_direction(world, i, rng):
    clip = world.sample(i, 'direction')
    from mmvideofm.datasets.synthetic import DIRECTIONS
    return clip.frames, dict(answer=DIRECTION_PHRASES[DIRECTIONS[clip.labels['direction']]])


def _action_localization(world, i, rng):
    clip = world.sample(i, 'count')
    changes = [e for e in clip.events if e.kind == 'color_change']
    if len(changes) != 1:
        return None
    T = len(clip.frames)
    t = changes[0].frame
    ans = AL_ANSWERS[0] if t < T / 3 else AL_ANSWERS[1] if t < 2 * T / 3 else AL_ANSWERS[2]
    return clip.frames, dict(answer=ans, bound=True)


def _scene_transition(world, i, rng):
    a, b, c = (world.sample(3 * i + k, 'direction') for k in range(3))
    sa, sb, sc = _scene(a), _scene(b), _scene(c)
    if len({sa, sb, sc}) < 3:
        return None
    T = len(a.frames)
    frames = np.concatenate([a.frames[:T // 2], b.frames[T // 2:]])

    def tr(x, y):
        return f'From {x} to {y}'
    return frames, dict(answer=tr(sa, sb), distractors=[tr(sb, sa), tr(sa, sc), tr(sc, sb)])


def _action_count(world, i, rng):
    clip = world.sample(i, 'count')
    return clip.frames, dict(answer=COUNT_WORDS[clip.labels['count']])


def _moving_count(world, i, rng):
    clip = world.sample(i, None)
    n = sum(o.direction not in (None, 'static') for o in clip.objects)
    if n >= len(COUNT_WORDS):
        return None
    return clip.frames, dict(answer=COUNT_WORDS[n])


def _moving_attribute(world, i, rng):
    clip = world.sample(i, 'direction')
    movers = [o for o in clip.objects if o.direction not in (None, 'static')]
    if len(clip.objects) != 3 or len(movers) != 1:
        return None  # all options must be colours present in every frame
    others = [o.colors[0] for o in clip.objects if o is not movers[0]]
    return clip.frames, dict(answer=movers[0].colors[0].capitalize(),
                             distractors=[c.capitalize() for c in others])


def _state_change(world, i, rng):
    clip = world.sample(i, 'count')
    shapes = [o.shape for o in clip.objects]
    usable = [o for o in clip.objects if shapes.count(o.shape) == 1
              and sum(e.kind == 'color_change' and e.objects[0] == o.id
                      for e in clip.events) <= 1]
    if not usable:
        return None
    o = usable[int(rng.integers(len(usable)))]
    a, b = o.colors[0], o.colors[-1]
    # the third colour is another object's (visible in the clip), so naming it in a
    # distractor does not let one frame rule that distractor out
    other = sorted({x.colors[0] for x in clip.objects if x is not o} - {a, b})
    if a == b and not other:
        return None
    c = other[int(rng.integers(len(other)))] if other else None
    if a != b:  # 1 'stays' + 2 'From' options either way (see BALANCE)
        stay = (a, b)[int(rng.integers(2))]
        ans, dis, key = f'From {a} to {b}', [f'From {b} to {a}', f'It stays {stay}'], 'change'
    else:
        ans, dis, key = f'It stays {a}', [f'From {a} to {c}', f'From {c} to {a}'], 'stay'
    return clip.frames, dict(answer=ans, distractors=dis, fields=dict(object=o.shape),
                             balance_key=key)


ADAPTERS: dict[str, Callable] = {
    'Action Sequence': _action_sequence,
    'Object Existence': _object_existence,
    'Object Shuffle': _object_shuffle,
    'Moving Direction': _moving_direction,
    'Action Localization': _action_localization,
    'Scene Transition': _scene_transition,
    'Action Count': _action_count,
    'Moving Count': _moving_count,
    'Moving Attribute': _moving_attribute,
    'State Change': _state_change,
}


def make_annotations(world: SyntheticWorld, task: str, num: int, max_tries: int = 40
                     ) -> list[tuple[np.ndarray, dict]]:
    """``num`` (frames, annotation) pairs for ``task`` from consecutive world indices,
    with answer classes balanced per :data:`BALANCE`."""
    fn = ADAPTERS[task]
    abbr = get_task(task).abbr
    cfg = world.config
    weights = BALANCE.get(task)
    quota = None
    if weights:
        total = sum(weights.values())
        quota = {k: int(np.ceil(num * w / total)) for k, w in weights.items()}
    out, i = [], 0
    while len(out) < num and i < num * max_tries:
        rng = np.random.default_rng(_item_seed(world.seed, f'{task}/{i}'))
        res = fn(world, i, rng)
        if res is not None and quota is not None:
            key = res[1].pop('balance_key', res[1]['answer'])
            if quota.get(key, 0) <= 0:
                res = None
            else:
                quota[key] -= 1
        if res is not None:
            frames, ann = res
            duration = len(frames) / cfg.fps
            ann = dict(ann, task=task, video=f'{abbr.lower()}_{i:05d}.mp4', duration=duration)
            if ann.pop('bound', False):
                ann.update(start=0.0, end=duration)
            out.append((frames, ann))
        i += 1
    if len(out) < num:
        raise RuntimeError(f'{task}: only {len(out)} of {num} usable clips in {i} tries')
    return out


def export_tiny_mvbench(out_dir: str, num_per_task: int = 20, seed: int = 0,
                        tasks: list[str] | None = None, num_frames: int = 16, size: int = 32,
                        fps: float = 8.0) -> dict:
    """Write a tiny MVBench (official layout) from the synthetic world; returns stats."""
    t0 = time.time()
    world = SyntheticWorld(WorldConfig(num_frames=num_frames, size=size, fps=fps), seed=seed,
                           split='test')
    tasks = tasks or list(ADAPTERS)
    frames_of: dict[tuple[str, str], np.ndarray] = {}
    annotations = []
    for task in tasks:
        for frames, ann in make_annotations(world, task, num_per_task):
            frames_of[(task, ann['video'])] = frames
            annotations.append(ann)
    gen = MCQGenerator([TASK_SPECS[t] for t in tasks], seed=seed)
    items = gen.generate(annotations)
    write_mvbench_jsons(items, out_dir)
    n_videos = 0
    for task, task_items in items.items():
        folder = osp.join(out_dir, 'video', get_task(task).video_folder)
        os.makedirs(folder, exist_ok=True)
        for item in task_items:
            write_video(osp.join(folder, item['video']), frames_of[(task, item['video'])],
                        fps=fps)
            n_videos += 1
    return dict(tasks={t: len(v) for t, v in items.items()}, videos=n_videos,
                dropped=gen.stats.get('dropped', {}), seconds=time.time() - t0)


@MODELS.register_module()
class SyntheticColourMatcher(MVBenchAnswerer):
    """A heuristic *visual* answerer for the synthetic tiny MVBench.

    Scores each candidate by whether the colour words it names are visible, in the
    order they are named, across consecutive chunks of the clip (``From red to blue``:
    red early, blue late). Candidates naming no colour score 0 (ties broken by a fixed
    per-question random draw). Wrapped in :class:`FrameAblation` it is the single-frame
    / all-frames pair whose gap shows which questions need time.
    """

    def __init__(self, seed: int = 0, threshold: float = 0.01, tolerance: float = 40.0
                 ) -> None:
        super().__init__()
        self.seed = seed
        self.threshold = threshold
        self.tolerance = tolerance
        self.register_buffer('palette', torch.tensor([COLORS[c] for c in COLOUR_NAMES],
                                                     dtype=torch.float32), persistent=False)
        self.register_buffer('mean', torch.tensor(CLIP_MEAN).view(1, 3, 1, 1) * 255,
                             persistent=False)
        self.register_buffer('std', torch.tensor(CLIP_STD).view(1, 3, 1, 1) * 255,
                             persistent=False)

    def presence(self, video: torch.Tensor) -> torch.Tensor:
        """``(T, num_colours)`` bool: colour visible in frame t."""
        rgb = (video.float() * self.std + self.mean).permute(0, 2, 3, 1)  # (T, H, W, 3)
        dist = (rgb[..., None, :] - self.palette).abs().amax(-1)  # (T, H, W, C)
        frac = (dist < self.tolerance).float().mean((1, 2))  # (T, C)
        return frac > self.threshold

    def score_options(self, video, prompt):
        present = self.presence(video)
        T = present.shape[0]
        rng = np.random.default_rng(_item_seed(self.seed, prompt.meta.get('qid', '')))
        scores = []
        for cand in prompt.candidates:
            words = [w.strip('.,').lower() for w in cand.split()]
            named = [COLOUR_NAMES.index(w) for w in words if w in COLOUR_NAMES]
            s = 0.0
            if named:
                chunks = np.array_split(np.arange(T), len(named))
                s = float(np.mean([present[ch, c].float().mean().item()
                                   for ch, c in zip(chunks, named)]))
            scores.append(s + 1e-3 * rng.random())
        return scores
