"""rvos_plugin: referring video object segmentation for MMEngine/MMDetection.

Importing the package applies the compatibility shims (``rvos_plugin.compat``)
and registers every component into mmdet's registries. Heavy libraries
(transformers, sam2, decord, mmpretrain) are imported lazily by the modules
that need them, so ``import rvos_plugin`` stays fast.
"""
import mmcv
import mmengine
from mmengine.utils import digit_version

from .version import __version__

_MMENGINE = ('0.10.0', '1.0.0')
_MMCV = ('2.0.0rc4', '2.2.0')
assert (digit_version(_MMENGINE[0]) <= digit_version(mmengine.__version__) <
        digit_version(_MMENGINE[1])), (
            f'mmengine=={mmengine.__version__} is used but incompatible. '
            f'Please install mmengine>={_MMENGINE[0]}, <{_MMENGINE[1]}.')
assert (digit_version(_MMCV[0]) <= digit_version(mmcv.__version__) <
        digit_version(_MMCV[1])), (
            f'mmcv=={mmcv.__version__} is used but incompatible. Please '
            f'install mmcv-lite or mmcv >={_MMCV[0]}, <{_MMCV[1]}.')

from . import compat  # noqa: E402

compat.apply_all()

from . import (datasets, engine, evaluation, models,  # noqa: E402,F401
               visualization)

__all__ = ['__version__']
