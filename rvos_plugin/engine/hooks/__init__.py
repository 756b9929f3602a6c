from .rvos_visualization_hook import RVOSVisualizationHook  # noqa: F401
