"""Pixel-to-word cross-attention: every pixel gathers the words it matches."""
import torch.nn as nn
from torch import Tensor


class PixelWordAttention(nn.Module):
    """Residual multi-head cross-attention from pixels (queries) to words.

    ``y = x + MHA(LN(x), W words, W words)`` with padded words masked out.
    The output projection is zero-initialised, so the block starts as the
    identity.

    Args:
        channels (int): Visual channels C (= attention width).
        text_dims (int): Word-feature size C_t.
        num_heads (int): Attention heads (C must be divisible by it).
    """

    def __init__(self, channels: int, text_dims: int, num_heads: int = 4):
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.word_proj = nn.Linear(text_dims, channels)
        self.attn = nn.MultiheadAttention(
            channels, num_heads, batch_first=True)
        nn.init.zeros_(self.attn.out_proj.weight)
        nn.init.zeros_(self.attn.out_proj.bias)

    def forward(self, x: Tensor, words: Tensor, word_mask: Tensor) -> Tensor:
        """Attend from every pixel to the words of its expression.

        Args:
            x (Tensor): (N, C, H, W) visual features.
            words (Tensor): (N, L, C_t) word features.
            word_mask (Tensor): (N, L) bool, True for real tokens.

        Returns:
            Tensor: (N, C, H, W).
        """
        n, c, h, w = x.shape
        query = self.norm(x.flatten(2).transpose(1, 2))  # (N, HW, C)
        keys = self.word_proj(words).to(query.dtype)
        out, _ = self.attn(
            query, keys, keys, key_padding_mask=~word_mask.bool(),
            need_weights=False)
        return x + out.transpose(1, 2).reshape(n, c, h, w)


__all__ = ['PixelWordAttention']
