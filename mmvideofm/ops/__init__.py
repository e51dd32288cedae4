"""Point-cloud ops (FPS, kNN, gather): ``mmcv.ops`` on CUDA when present, torch otherwise."""
from .point_ops import furthest_point_sample, gather_points, has_mmcv_ops, knn, square_distance

__all__ = ['furthest_point_sample', 'gather_points', 'has_mmcv_ops', 'knn', 'square_distance']
