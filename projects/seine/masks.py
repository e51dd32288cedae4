"""SEINE's frame masks (1 = generate, 0 = given) and the random training masks.

The named masks follow the official ``utils.py::mask_generation_before``: ``firstN`` (first N
frames given: image-to-video with N=1, prediction with N>1), ``onelastN`` (first and last N
given: transition) and ``all`` (nothing given: text-to-video). The paper trains with random
masks of these kinds; the released code has none, so the mix is a config option here.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F

__all__ = ['MASK_TYPES', 'parse_mask_type', 'mask_generation_before', 'latent_mask',
           'frame_mask', 'RandomMaskSampler']

#: Mask families: ``firstN``, ``onelastN``, ``all``.
MASK_TYPES = ('first', 'onelast', 'all')
_PATTERN = re.compile(r'^(first|onelast)(\d+)$|^all$')


def parse_mask_type(mask_type: str) -> tuple[str, int]:
    """``'onelast1'`` -> ``('onelast', 1)``; ``'all'`` -> ``('all', 0)``; ValueError otherwise."""
    match = _PATTERN.match(str(mask_type))
    if match is None:
        raise ValueError(f'Invalid mask type: {mask_type!r}; use firstN (N given leading frames, '
                         f'e.g. first1 = image-to-video), onelastN (first and last N given, '
                         f'e.g. onelast1 = transition) or all (nothing given)')
    if mask_type == 'all':
        return 'all', 0
    return match.group(1), int(match.group(2))


def frame_mask(mask_type: str, num_frames: int) -> torch.Tensor:
    """(F,) float mask of one clip: 1 = generate, 0 = given."""
    kind, n = parse_mask_type(mask_type)
    mask = torch.ones(num_frames)
    if kind == 'first':
        mask[:n] = 0
    elif kind == 'onelast':
        if num_frames - 2 * n < 0:
            raise ValueError(f'mask {mask_type!r} needs at least {2 * n} frames, got '
                             f'{num_frames}')
        mask[:n] = 0
        mask[num_frames - n:] = 0
    return mask


def mask_generation_before(mask_type: str, shape: Sequence[int],
                           dtype: torch.dtype = torch.float32,
                           device: torch.device | str = 'cpu') -> torch.Tensor:
    """(b, f, c, h, w) pixel mask of ``mask_type`` (the official function's result)."""
    b, f, c, h, w = shape
    mask = frame_mask(mask_type, f).to(device=device, dtype=dtype)
    return mask[None, :, None, None, None].expand(b, f, c, h, w)


def latent_mask(mask: torch.Tensor, latent_hw: Sequence[int]) -> torch.Tensor:
    """Pixel mask (b, f, c, h, w) -> latent mask (b, 1, f, h', w') by nearest resizing of
    channel 0 (as ``auto_inpainting``)."""
    return F.interpolate(mask[:, :, 0], size=tuple(latent_hw)).unsqueeze(1)


class RandomMaskSampler:
    """Draws one mask type per clip from a weighted mix (the paper's random-mask training).

    Args:
        mix: ``{mask kind: weight}``; kinds ``'transition'`` (``onelastN``), ``'prediction'``
            (``firstN`` with 1 < N < F), ``'i2v'`` (``first1``), ``'unconditional'``
            (``all``), or any fixed mask type (``'first2'``).
        max_given: largest N for transition / prediction masks.
    """

    KINDS = ('transition', 'prediction', 'i2v', 'unconditional')

    def __init__(self, mix: Mapping[str, float] | None = None, max_given: int = 2) -> None:
        mix = dict(mix or dict(transition=0.4, prediction=0.2, i2v=0.3, unconditional=0.1))
        for kind in mix:
            if kind not in self.KINDS:
                parse_mask_type(kind)  # raises with the list of valid names
        if not mix or min(mix.values()) < 0 or sum(mix.values()) <= 0:
            raise ValueError(f'mask mix weights must be >= 0 with a positive sum, got {mix}')
        self.kinds = list(mix)
        self.weights = torch.tensor([float(w) for w in mix.values()])
        self.max_given = max_given

    def sample_types(self, batch: int, num_frames: int, generator: torch.Generator
                     ) -> list[str]:
        """One mask type name per clip."""
        idx = torch.multinomial(self.weights, batch, replacement=True, generator=generator)
        out = []
        for i in idx.tolist():
            kind = self.kinds[i]
            top = max(1, min(self.max_given, (num_frames - 1) // 2))
            n = int(torch.randint(1, top + 1, (1, ), generator=generator))
            if kind == 'transition':
                out.append(f'onelast{n}')
            elif kind == 'prediction':
                out.append(f'first{min(n + 1, num_frames - 1)}')
            elif kind == 'i2v':
                out.append('first1')
            elif kind == 'unconditional':
                out.append('all')
            else:
                out.append(kind)
        return out

    def __call__(self, batch: int, num_frames: int, generator: torch.Generator
                 ) -> tuple[torch.Tensor, list[str]]:
        """(B, 1, F, 1, 1) masks and their type names."""
        types = self.sample_types(batch, num_frames, generator)
        masks = torch.stack([frame_mask(t, num_frames) for t in types])
        return masks[:, None, :, None, None], types
