"""mmaction2's repeated-augmentation dataset, reading with any [init, sampler, decode] front."""
from __future__ import annotations

from collections.abc import Callable

from mmaction.datasets import RepeatAugDataset, VideoDataset

from mmvideofm.registry import DATASETS

from .video_list_dataset import SkipBadSamplesMixin

# the (init, decode) transform pairs RepeatAugDataset.prepare_data can split between
READERS = {'VideoInit': 'VideoDecode', 'DecordInit': 'DecordDecode'}


def _type_name(transform) -> str:
    name = transform.get('type', '') if isinstance(transform, dict) else type(transform).__name__
    return name.split('.')[-1] if isinstance(name, str) else name.__name__


@DATASETS.register_module()
class VideoRepeatAugDataset(SkipBadSamplesMixin, RepeatAugDataset):
    """mmaction2 ``RepeatAugDataset`` that also accepts mmvideofm's reader.

    The video is opened and its frames sampled and decoded once; the transforms after
    the decoder run ``num_repeats`` times, and ``repeat_pseudo_collate`` flattens the
    copies into the batch (the official ``--num_sample`` of UMT / VideoMAE V2).
    mmaction2's class insists on ``DecordInit`` / ``DecordDecode``; this one takes any
    pipeline whose first three transforms are ``VideoInit`` (or ``DecordInit``), a frame
    sampler and ``VideoDecode`` (or ``DecordDecode``).

    Args:
        ann_file, pipeline, data_prefix, num_repeats, sample_once, **kwargs: as
            mmaction2's ``RepeatAugDataset``.
        skip_bad_samples, max_refetch: as :class:`VideoListDataset`.
    """

    def __init__(self, ann_file: str, pipeline: list[dict | Callable],
                 data_prefix: dict | None = None, num_repeats: int = 4,
                 sample_once: bool = False, skip_bad_samples: bool = False,
                 max_refetch: int = 10, **kwargs) -> None:
        names = [_type_name(t) for t in pipeline[:3]]
        if len(names) < 3 or READERS.get(names[0]) != names[2]:
            raise ValueError('VideoRepeatAugDataset needs a pipeline starting with '
                             '[VideoInit, <frame sampler>, VideoDecode] (or the Decord pair), '
                             f'got {names}')
        kwargs['test_mode'] = False
        self.skip_bad_samples = skip_bad_samples
        VideoDataset.__init__(self, ann_file, pipeline=pipeline,
                              data_prefix=data_prefix or dict(video=''),
                              max_refetch=max_refetch, **kwargs)
        self.num_repeats = num_repeats
        self.sample_once = sample_once
