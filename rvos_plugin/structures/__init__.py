from .rvos_sample import (get_frames, has_frame_masks,  # noqa: F401
                          mask_scores, set_frame_masks, stack_frame_masks)
