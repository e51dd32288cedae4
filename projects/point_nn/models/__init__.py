from .point_nn import PointNNEncoder, PointNNSegDecoder, check_points
from .pos_embed import pos_embed, pose_frequencies

__all__ = ['PointNNEncoder', 'PointNNSegDecoder', 'check_points', 'pos_embed',
           'pose_frequencies']
