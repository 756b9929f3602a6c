"""The CPU recipe of ReVIOsA (not in the paper): ``ReVIOsACPURecipe`` and
its SAM2 adapter, actor context, pair selection and role word attention.
Only the CPU configs import it (``custom_imports``)."""
from .actor_context import past_frames, proximity_maps, temporal_max
from .losses import actor_target_overlap_loss
from .model import ReVIOsACPURecipe
from .pair_selection import (exclusive_logits, keep_nearest_component,
                             select_actor_target_pair)
from .role_word_attention import RoleWordAttention
from .sam2_adapter import ContextLogitPrior, ReVIOsACPUSAM2

__all__ = [
    'ReVIOsACPURecipe', 'ReVIOsACPUSAM2', 'ContextLogitPrior',
    'RoleWordAttention', 'actor_target_overlap_loss', 'exclusive_logits',
    'keep_nearest_component', 'select_actor_target_pair', 'past_frames',
    'proximity_maps', 'temporal_max'
]
