"""ReVIOsA (InterRVOS): MLLM + SAM2 actor-target segmentation."""
from .fsdp import REVIOSA_FSDP_BLOCKS, reviosa_fsdp_wrap_policy  # noqa: F401
from .reviosa import (ReVIOsA, exclusive_logits,  # noqa: F401
                      keep_nearest_component,
                      proximity_maps, select_mllm_frames,
                      temporal_max)
from .sam2_adapter import ReVIOsASAM2, tiny_sam2_config  # noqa: F401
from .seg_token_head import (ReVIOsASegTokenProjector,  # noqa: F401
                             find_token_positions, first_token_hidden)

__all__ = [
    'REVIOSA_FSDP_BLOCKS', 'reviosa_fsdp_wrap_policy',
    'ReVIOsA', 'exclusive_logits', 'proximity_maps', 'select_mllm_frames',
    'temporal_max', 'keep_nearest_component',
    'ReVIOsASAM2',
    'tiny_sam2_config',
    'ReVIOsASegTokenProjector', 'find_token_positions', 'first_token_hidden'
]
