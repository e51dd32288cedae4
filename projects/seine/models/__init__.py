from .temporal_attention import RelativePositionBias, RotaryEmbedding, TemporalAttention
from .unet import SEINEUNet, SEINEUNetOutput, sd_unet_config_to_seine

__all__ = ['RelativePositionBias', 'RotaryEmbedding', 'TemporalAttention', 'SEINEUNet',
           'SEINEUNetOutput', 'sd_unet_config_to_seine']
from .seine import SEINE  # noqa: E402

__all__ += ['SEINE']
