from .classifiers import (
           PlugAndPlayClassifier,
           PointNNClassifier,
           PointNNSegmentor,
           PointPNClassifier,
)
from .data_preprocessor import PointCloudDataPreprocessor
from .heads import OFFICIAL_GAMMAS, MemoryBankHead, PartPrototypeHead, search_gamma
from .point_nn import PointNNEncoder, PointNNSegDecoder, check_points
from .point_pn import PointPNEncoder, PointPNHead
from .pos_embed import pos_embed, pose_frequencies

__all__ = ['PlugAndPlayClassifier', 'PointNNClassifier', 'PointNNSegmentor', 'PointPNClassifier',
           'PointCloudDataPreprocessor', 'OFFICIAL_GAMMAS', 'MemoryBankHead',
           'PartPrototypeHead', 'search_gamma', 'PointNNEncoder', 'PointNNSegDecoder',
           'check_points', 'PointPNEncoder', 'PointPNHead', 'pos_embed', 'pose_frequencies']
