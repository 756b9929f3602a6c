"""Import target for configs: ``custom_imports=dict(imports=['rvos_plugin',
'rvos_plugin.compat_mmpretrain'])`` makes ``type='mmpretrain.X'`` work."""
from .compat import import_mmpretrain_models

import_mmpretrain_models()
