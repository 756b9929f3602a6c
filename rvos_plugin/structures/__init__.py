from .rvos_sample import (has_frame_masks, set_frame_masks,  # noqa: F401
                          stack_frame_masks)
