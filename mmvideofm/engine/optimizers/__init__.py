from .layer_decay import LayerDecayOptimWrapperConstructor
from .trainable import TrainableOptimWrapperConstructor

__all__ = ['LayerDecayOptimWrapperConstructor', 'TrainableOptimWrapperConstructor']
