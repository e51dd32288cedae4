"""Point-cloud data preprocessor: stack clouds into (B, N, C) and move them to device."""
from __future__ import annotations

import torch
from mmengine.model import BaseDataPreprocessor

from mmvideofm.registry import MODELS

__all__ = ['PointCloudDataPreprocessor']


@MODELS.register_module()
class PointCloudDataPreprocessor(BaseDataPreprocessor):
    """Collate ``inputs`` (list of (N, C) tensors) into one float (B, N, C) batch.

    Clouds must have equal sizes: sample them in the pipeline (``PointSample``).
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            shapes = {tuple(p.shape) for p in inputs}
            if len(shapes) != 1:
                raise ValueError(f'clouds of different shapes in one batch: {sorted(shapes)}; '
                                 "add dict(type='PointSample', num_points=...) to the pipeline")
            inputs = torch.stack(list(inputs))
        if inputs.dim() != 3 or inputs.shape[-1] < 3:
            raise ValueError(f'points must be (B, N, C>=3), got {tuple(inputs.shape)}')
        return dict(inputs=inputs.float(), data_samples=data.get('data_samples'))
