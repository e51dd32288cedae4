"""Template captions of a clip, in time order, from its ground truth."""
from __future__ import annotations

import numpy as np

from .structures import Clip, ObjectTrack


def _name(track: ObjectTrack, frame: int) -> str:
    return f'{track.colors[min(frame, len(track.colors) - 1)]} {track.shape}'


def _a(noun: str) -> str:
    return f'an {noun}' if noun[0] in 'aeiou' else f'a {noun}'


def make_caption(clip: Clip) -> str:
    """Template caption of what happens, in time order, from the ground truth."""
    objs = {o.id: o for o in clip.objects}
    phrases, active = [], set()
    for o in clip.objects:  # motion from the first frame
        if o.direction not in (None, 'static') and not any(
                e.kind == 'start_moving' and e.objects[0] == o.id for e in clip.events):
            first = int(np.flatnonzero(o.visible)[0]) if o.visible.any() else 0
            name = _a(_name(o, first)) if first == 0 else f'the {_name(o, first)}'
            phrases.append((0, f'{name} moves {o.direction}'))
            active.add(o.id)
    for e in clip.events:
        o = objs[e.objects[0]]
        if e.kind == 'appear':
            text = f'{_a(_name(o, e.frame))} appears'
        elif e.kind == 'disappear':
            text = f'the {_name(o, e.frame - 1)} disappears'
        elif e.kind == 'color_change':
            text = f'the {e.detail["from"]} {o.shape} turns {e.detail["to"]}'
        elif e.kind == 'collision':
            text = f'the {_name(o, e.frame)} hits the {_name(objs[e.objects[1]], e.frame)}'
        elif e.kind == 'start_moving':
            text = f'the {_name(o, e.frame)} starts moving {e.detail["direction"]}'
        else:
            text = f'the {_name(o, e.frame)} stops'
        phrases.append((e.frame, text))
        active.update(e.objects)
    idle = [o for o in clip.objects if o.id not in active and o.visible[0]]
    idle_text = ''
    if idle:
        names = [_a(_name(o, 0)) for o in idle]
        listed = names[0] if len(names) == 1 else ', '.join(names[:-1]) + ' and ' + names[-1]
        idle_text = f'{listed} {"stays" if len(idle) == 1 else "stay"} still'
    if not phrases:
        return idle_text or 'nothing happens'
    caption = ', then '.join(text for _, text in phrases)
    return f'{caption} while {idle_text}' if idle_text else caption
