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

Session 6 options. ``sequence_encoder=True`` adds a bidirectional GRU over
the word states to the keys: whether a word comes before or after the verb
(the subject's noun phrase or the object's) is a sequential feature a GRU
carries and a per-word key cannot. ``gating='sigmoid'`` replaces the
softmax (one word wins) by an independent gate per word, so a role can keep
a whole noun phrase ("the small star": size and shape); the pooled text is
then the gate-weighted mean, and the gates are divided by their maximum (raw
sigmoid gates collapsed to ~0 on every word in one training run). Measured on the session-5 checkpoint, the
softmax target role put its whole weight on one colour word, often the
subject's.
"""
import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def relative_positions(mask: Tensor) -> Tensor:
    """Position of each valid token in its row, scaled to [-1, 1].

    Args:
        mask (Tensor): (B, L) bool, True on the valid tokens.

    Returns:
        Tensor: (B, L) float: ``2 k / (n - 1) - 1`` for the k-th of n valid
        tokens (0 for a single token), 0 on padding.
    """
    index = mask.long().cumsum(dim=1) - 1
    count = mask.sum(dim=1, keepdim=True)
    pos = 2.0 * index.float() / (count - 1).clamp(min=1).float() - 1.0
    pos = torch.where(count > 1, pos, torch.zeros_like(pos))
    return pos.masked_fill(~mask, 0.0)


class RoleWordAttention(nn.Module):
    """Attention weights of one seg-token role over the words.

    Args:
        role_dims (int): channels of the role state (projected seg token).
        word_dims (int): channels of the word states.
        attn_dims (int): query/key width ``d``.
        num_positions (int): learned word-index embeddings added to the
            keys (0: none). Must cover the text encoder's ``max_length``.
        gating (str): ``'softmax'`` (default): weights over the words sum
            to 1; ``'sigmoid'``: an independent gate in (0, 1) per word.
        sequence_encoder (bool): keys also read a bidirectional GRU over
            the words (``attn_dims // 2`` channels per direction).
        num_roles (int): 0 (default) or the number of seg-token roles; a
            learned query per role is added to the one computed from the
            role state, so the roles differ even when the LLM's states at
            the tokens do not. ``forward`` then needs ``role_index``.
        logit_bound (float, optional): None (default) or ``b > 0``: the
            word logits become ``b * tanh(logit / b)``: with sigmoid
            gating no word's gate falls below ``e^-b`` of the strongest
            (``sigmoid(-b) / sigmoid(b)``), so the head always sees the
            whole sentence, the role's words amplified.
        position_prior (float): 0 (default) or ``s``, with ``num_roles``
            R >= 2: role ``r`` adds ``s_r * p_i`` to the logit of word
            ``i``, where ``p_i`` in [-1, 1] is the word's relative position
            among the valid tokens and ``s_r`` a learned slope initialised
            to ``s * (2 r / (R - 1) - 1)``: the first role (the referent,
            ``[SEG_ACT]``) starts on the sentence's first noun phrase, the
            last (``[SEG_TAR]``) on its last, as in "the man pushing the
            cart" and "the cart being pushed by the man". This breaks the
            symmetry between the roles at initialisation.
    """

    GATINGS = ('softmax', 'sigmoid')

    def __init__(self, role_dims: int, word_dims: int, attn_dims: int = 64,
                 num_positions: int = 0, gating: str = 'softmax',
                 sequence_encoder: bool = False, num_roles: int = 0,
                 logit_bound: Optional[float] = None,
                 position_prior: float = 0.0):
        super().__init__()
        if logit_bound is not None and logit_bound <= 0:
            raise ValueError(f'RoleWordAttention: logit_bound must be > 0, '
                             f'got {logit_bound}.')
        self.logit_bound = logit_bound
        if gating not in self.GATINGS:
            raise ValueError(f'RoleWordAttention: gating must be one of '
                             f'{self.GATINGS}, got {gating!r}.')
        self.gating = gating
        self.gru = None
        key_in = word_dims
        if sequence_encoder:
            self.gru = nn.GRU(word_dims, attn_dims // 2, batch_first=True,
                              bidirectional=True)
            key_in = word_dims + 2 * (attn_dims // 2)
        self.query = nn.Linear(role_dims, attn_dims)
        self.key = nn.Linear(key_in, attn_dims)
        self.role_query = None
        if num_roles > 0:
            self.role_query = nn.Parameter(
                torch.randn(num_roles, attn_dims) * 0.5)
        self.position_slope = None
        if position_prior:
            if num_roles < 2:
                raise ValueError('RoleWordAttention: position_prior orders '
                                 'the roles along the sentence; it needs '
                                 'num_roles >= 2.')
            self.position_slope = nn.Parameter(position_prior * torch.linspace(
                -1.0, 1.0, num_roles))
        self.attn_dims = attn_dims
        self.position = None
        if num_positions > 0:
            self.position = nn.Parameter(torch.zeros(num_positions,
                                                     attn_dims))

    def forward(self, role: Tensor, words: Tensor, mask: Tensor,
                role_index: Optional[int] = None) -> Tuple[Tensor, Tensor]:
        """Role-pooled sentence and per-word gates.

        Args:
            role (Tensor): (B, C_r) role states.
            words (Tensor): (B, L, C_w) word states.
            mask (Tensor): (B, L) bool, True on real words (at least one
                per row).
            role_index (int, optional): which role (with ``num_roles``).

        Returns:
            tuple[Tensor, Tensor]: softmax gating: ``pooled`` (B, C_w) =
            sum_i a_i w_i and ``gate`` (B, L) = a_i / max_j a_j (1 on the
            role's main word, 0 on padding); sigmoid gating: with
            ``g_i = sigmoid(logit_i)`` (0 on padding), ``pooled`` = sum_i
            g_i w_i / sum_i g_i and ``gate`` = g_i / max_j g_j. The gates
            scale the words the head attends to.
        """
        if not bool(mask.any(dim=1).all()):
            raise ValueError('RoleWordAttention: an expression has no '
                             'words (empty mask row).')
        q = self.query(role)[:, None]  # (B, 1, d)
        if self.role_query is not None:
            if role_index is None:
                raise ValueError('RoleWordAttention(num_roles > 0) needs '
                                 'role_index.')
            q = q + self.role_query[role_index].to(q.dtype)
        keys_in = words
        if self.gru is not None:
            lengths = mask.sum(1).cpu()
            packed = nn.utils.rnn.pack_padded_sequence(
                words.to(self.gru.weight_ih_l0.dtype), lengths,
                batch_first=True,
                enforce_sorted=False)
            seq, _ = self.gru(packed)
            seq, _ = nn.utils.rnn.pad_packed_sequence(
                seq, batch_first=True, total_length=words.size(1))
            keys_in = torch.cat([words, seq.to(words.dtype)], dim=-1)
        k = self.key(keys_in)  # (B, L, d)
        if self.position is not None:
            if words.size(1) > self.position.size(0):
                raise ValueError(
                    f'RoleWordAttention: {words.size(1)} words but '
                    f'{self.position.size(0)} position embeddings; set '
                    'num_positions to the text encoder max_length.')
            k = k + self.position[:words.size(1)].to(k.dtype)
        logits = (q * k).sum(-1) / math.sqrt(self.attn_dims)
        if self.position_slope is not None:
            logits = logits + self.position_slope[role_index].to(
                logits.dtype) * relative_positions(mask).to(logits.dtype)
        if self.logit_bound is not None:
            logits = self.logit_bound * torch.tanh(logits / self.logit_bound)
        if self.gating == 'sigmoid':
            # g_i / max_j g_j in log space (exact for any logits): relative
            # to the strongest word, as the softmax gates. Raw sigmoid gates
            # collapsed to ~0 on every word in one training run, and the
            # head then read no words at all.
            log_g = F.logsigmoid(logits.float()).masked_fill(
                ~mask, float('-inf'))
            gate = torch.exp(log_g - log_g.amax(dim=1, keepdim=True))
            pooled = torch.einsum('bl,blc->bc', gate, words.float()) / \
                gate.sum(1, keepdim=True)
            return pooled.to(words.dtype), gate.to(words.dtype)
        logits = logits.masked_fill(~mask, float('-inf'))
        weights = torch.softmax(logits.float(), dim=1).to(words.dtype)
        pooled = torch.einsum('bl,blc->bc', weights, words)
        gate = weights / weights.amax(dim=1, keepdim=True)
        return pooled, gate


__all__ = ['RoleWordAttention', 'relative_positions']
