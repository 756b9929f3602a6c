"""Text-conditioned feature-wise linear modulation (FiLM) of visual maps."""
import torch
import torch.nn as nn
from torch import Tensor


def film(x: Tensor, gamma: Tensor, beta: Tensor) -> Tensor:
    """FiLM (Perez et al. 2018, Eq. (1)) with an identity-centred scale.

    ``y = (1 + gamma) * x + beta``, broadcast over the spatial dims.

    Args:
        x (Tensor): (N, C, H, W) visual features.
        gamma (Tensor): (N, C) scale offsets.
        beta (Tensor): (N, C) shifts.

    Returns:
        Tensor: (N, C, H, W).
    """
    return (1 + gamma[:, :, None, None]) * x + beta[:, :, None, None]


class TextFiLM(nn.Module):
    """Predict FiLM parameters from a sentence embedding and apply them.

    The projection is zero-initialised, so the block starts as the identity
    and training learns how much the text should modulate each channel.

    Args:
        text_dims (int): Sentence-embedding size C_t.
        channels (int): Visual channels C.
    """

    def __init__(self, text_dims: int, channels: int):
        super().__init__()
        self.proj = nn.Linear(text_dims, 2 * channels)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: Tensor, text: Tensor) -> Tensor:
        """Modulate ``x`` by ``text``.

        Args:
            x (Tensor): (N, C, H, W) visual features.
            text (Tensor): (N, C_t) sentence embedding (one per map).

        Returns:
            Tensor: (N, C, H, W).
        """
        gamma, beta = self.proj(text).to(x.dtype).chunk(2, dim=-1)
        return film(x, gamma, beta)


__all__ = ['film', 'TextFiLM']
