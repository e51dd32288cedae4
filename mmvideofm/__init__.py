"""mmvideofm: OpenGVLab's video foundation models as MMEngine plugins."""
from mmvideofm import compat as _compat

_compat.apply()

from mmvideofm.version import __version__  # noqa: E402

__all__ = ['__version__']
