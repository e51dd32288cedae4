"""Point-NN / Point-PN plugin (https://arxiv.org/abs/2303.08134).

Importing registers models, datasets, transforms, the memory-bank loop, metrics,
the checkpoint converter (``point_nn``) and the ``point_nn/features`` benchmark.
"""
from . import benchmarks, converters, datasets, engine, evaluation, models, transforms  # noqa: F401
from .visualization import render_point_cloud  # noqa: F401
