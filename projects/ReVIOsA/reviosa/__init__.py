"""ReVIOsA (InterRVOS): MLLM + SAM2 actor-target segmentation.

The paper's model; the CPU recipe is the separate ``cpu_recipe`` subpackage
(imported by the CPU configs only)."""
from .fsdp import REVIOSA_FSDP_BLOCKS, reviosa_fsdp_wrap_policy  # noqa: F401
from .reviosa import ReVIOsA  # noqa: F401
from .sam2_adapter import ReVIOsASAM2, tiny_sam2_config  # noqa: F401
from .seg_token_head import (ReVIOsASegTokenProjector,  # noqa: F401
                             find_token_positions, first_token_hidden)
from .sequences import select_mllm_frames  # noqa: F401
from .token_rows import NewTokenRows  # noqa: F401

__all__ = [
    'REVIOSA_FSDP_BLOCKS', 'reviosa_fsdp_wrap_policy',
    'ReVIOsA', 'select_mllm_frames', 'ReVIOsASAM2', 'tiny_sam2_config',
    'ReVIOsASegTokenProjector', 'find_token_positions', 'first_token_hidden',
    'NewTokenRows'
]
