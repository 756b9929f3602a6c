"""FSDP auto-wrap policy of ReVIOsA (the FSDP config's ``model_wrapper``).

One FSDP unit per transformer block: each Qwen2 decoder layer, each
InternViT layer, each SAM2 Hiera block, memory-attention layer and
two-way (mask decoder) attention block. Everything else (embeddings, LM
head, projector, SAM2 neck / prompt encoder / memory encoder, the seg-token
projector) stays in the root unit. Each unit is only ever computed through
its own ``forward`` (FSDP unshards a unit in its forward), which holds for
these blocks but not for the containers (``self.mllm.model(...)`` and
SAM2's ``image_encoder`` are called below their wrappers' ``forward``), so
containers are never wrapped.

A flat parameter needs one dtype: the FSDP config loads the MLLM in fp32 and
lets ``MixedPrecision(param_dtype=bf16)`` compute in bf16, so every unit is
uniformly fp32 at rest. Buffers are not cast (``buffer_dtype=None``): SAM2's
random-Fourier positional matrix stays fp32
(``sam2_adapter.FP32_BUFFERS``, :meth:`ReVIOsASAM2.dense_pe`).
"""
from typing import Sequence

from mmengine.registry import FUNCTIONS
from torch import nn

#: transformer blocks wrapped as FSDP units (class names; transformers'
#: InternVL / Qwen2 and the sam2 package).
REVIOSA_FSDP_BLOCKS = (
    'Qwen2DecoderLayer',      # LLM of InternVL2.5-1B/4B
    'InternVLVisionLayer',    # InternViT-300M
    'MultiScaleBlock',        # SAM2 Hiera trunk
    'MemoryAttentionLayer',   # SAM2 memory attention
    'TwoWayAttentionBlock',   # SAM2 mask decoder transformer
)


@FUNCTIONS.register_module(name='reviosa_fsdp_wrap_policy')
def reviosa_fsdp_wrap_policy(module: nn.Module, recurse: bool,
                             nonwrapped_numel: int,
                             block_names: Sequence[str] = REVIOSA_FSDP_BLOCKS
                             ) -> bool:
    """FSDP ``auto_wrap_policy``: wrap the modules whose class name is in
    ``block_names``.

    Args:
        module (nn.Module): candidate module.
        recurse (bool): FSDP asks whether to descend into ``module``.
        nonwrapped_numel (int): unused (no size threshold).
        block_names (Sequence[str]): class names of the units.

    Returns:
        bool: descend (always, when ``recurse``) / wrap this module.
    """
    if recurse:
        return True
    return type(module).__name__ in tuple(block_names)


__all__ = ['REVIOSA_FSDP_BLOCKS', 'reviosa_fsdp_wrap_policy']
