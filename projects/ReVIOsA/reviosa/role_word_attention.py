"""Role-specific attention over the expression's words (CPU-scale option).

The prompt-conditioned mask head reads the expression through a FiLM on
the pooled sentence and a pixel-to-word attention. With the seg-token
state merely *concatenated* to every word, the word weights cannot depend
on the token: the seg part adds the same logit to every word, which a
softmax ignores. ``[SEG_ACT]`` and ``[SEG_TAR]`` of one sentence then see
the same text, and the actor mask follows the target (revision-3
diagnosis: actor-target mask IoU .80). This module lets the seg token
pick its words: ``a = softmax_i((W_q r) . (W_k w_i) / sqrt(d))`` over the
valid words ``w_i`` for the role state ``r``. With ``num_positions`` the
keys also carry a learned embedding of the word's index,
``W_k w_i + p_i`` (zero-initialised): the subject of an English sentence
comes first, its object last, and the contextual word states of a frozen
sentence encoder keep that order only weakly.
"""
import math
from typing import Tuple

import torch
from torch import Tensor, nn


class RoleWordAttention(nn.Module):
    """Attention weights of one seg-token role over the words.

    Args:
        role_dims (int): channels of the role state (projected seg token).
        word_dims (int): channels of the word states.
        attn_dims (int): query/key width ``d``.
        num_positions (int): learned word-index embeddings added to the
            keys (0: none). Must cover the text encoder's ``max_length``.
    """

    def __init__(self, role_dims: int, word_dims: int, attn_dims: int = 64,
                 num_positions: int = 0):
        super().__init__()
        self.query = nn.Linear(role_dims, attn_dims)
        self.key = nn.Linear(word_dims, attn_dims)
        self.attn_dims = attn_dims
        self.position = None
        if num_positions > 0:
            self.position = nn.Parameter(torch.zeros(num_positions,
                                                     attn_dims))

    def forward(self, role: Tensor, words: Tensor,
                mask: Tensor) -> Tuple[Tensor, Tensor]:
        """Role-pooled sentence and per-word gates.

        Args:
            role (Tensor): (B, C_r) role states.
            words (Tensor): (B, L, C_w) word states.
            mask (Tensor): (B, L) bool, True on real words (at least one
                per row).

        Returns:
            tuple[Tensor, Tensor]: ``pooled`` (B, C_w) = sum_i a_i w_i and
            ``gate`` (B, L) = a_i / max_j a_j (1 on the role's main word,
            0 on padding), to scale the words the head attends to.
        """
        if not bool(mask.any(dim=1).all()):
            raise ValueError('RoleWordAttention: an expression has no '
                             'words (empty mask row).')
        q = self.query(role)[:, None]  # (B, 1, d)
        k = self.key(words)  # (B, L, d)
        if self.position is not None:
            if words.size(1) > self.position.size(0):
                raise ValueError(
                    f'RoleWordAttention: {words.size(1)} words but '
                    f'{self.position.size(0)} position embeddings; set '
                    'num_positions to the text encoder max_length.')
            k = k + self.position[:words.size(1)].to(k.dtype)
        logits = (q * k).sum(-1) / math.sqrt(self.attn_dims)
        logits = logits.masked_fill(~mask, float('-inf'))
        weights = torch.softmax(logits.float(), dim=1).to(words.dtype)
        pooled = torch.einsum('bl,blc->bc', weights, words)
        gate = weights / weights.amax(dim=1, keepdim=True)
        return pooled, gate


__all__ = ['RoleWordAttention']
