from .rvos_visualization_hook import RVOSVisualizationHook  # noqa: F401
from .epoch_seed_hook import RVOSEpochSeedHook  # noqa: F401
