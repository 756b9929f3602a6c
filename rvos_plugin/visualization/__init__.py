from .rvos_local_visualizer import (PALETTE, TARGET_PALETTE,  # noqa: F401
                                    RVOSLocalVisualizer, role_layers)
