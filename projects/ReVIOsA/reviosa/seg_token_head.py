"""Seg-token hidden states -> SAM2 prompt embeddings (InterRVOS Sec. 4.2)."""
from typing import List, Tuple

import torch
from mmengine.model import BaseModule
from torch import nn


def find_token_positions(input_ids: torch.Tensor, token_id: int,
                         attention_mask: torch.Tensor = None
                         ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Positions of a special token in a padded batch (left or right padding).

    The hidden state used for a seg token is the one *at* its position (no
    shift), as in the released code. Padding positions never count.

    Args:
        input_ids (Tensor): (B, L) token ids.
        token_id (int): id of the seg token.
        attention_mask (Tensor, optional): (B, L), 0 on padding.

    Returns:
        tuple[Tensor, Tensor]: ``(batch_inds, seq_inds)``, each (K,), sorted
        by batch then position.
    """
    hits = input_ids == token_id
    if attention_mask is not None:
        hits = hits & attention_mask.bool()
    batch_inds, seq_inds = hits.nonzero(as_tuple=True)
    return batch_inds, seq_inds


def first_token_hidden(hidden: torch.Tensor, input_ids: torch.Tensor,
                       token_id: int,
                       attention_mask: torch.Tensor = None
                       ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Hidden state at the first occurrence of ``token_id`` in each row.

    Args:
        hidden (Tensor): (B, L, C) last-layer hidden states.
        input_ids (Tensor): (B, L).

    Returns:
        tuple[Tensor, Tensor]: ``embeds`` (B, C) (zeros where absent) and
        ``found`` (B,) bool.
    """
    b_inds, s_inds = find_token_positions(input_ids, token_id, attention_mask)
    batch = input_ids.size(0)
    first = torch.full((batch, ), -1, dtype=torch.long,
                       device=input_ids.device)
    for b, s in zip(b_inds.tolist(), s_inds.tolist()):
        if first[b] < 0:
            first[b] = s
    found = first >= 0
    embeds = hidden.new_zeros(batch, hidden.size(-1))
    if found.any():
        rows = found.nonzero(as_tuple=True)[0]
        embeds = embeds.index_put((rows, ), hidden[rows, first[rows]])
    return embeds, found


class ReVIOsASegTokenProjector(BaseModule):
    """Linear-ReLU-Linear from the LLM width to SAM2's prompt width.

    As the released code (Sa2VA ``text_hidden_fcs``): ``Linear(C, C) ->
    ReLU -> Linear(C, 256) -> Dropout(0)``.

    Args:
        in_channels (int): LLM hidden size.
        out_channels (int): SAM2 prompt embedding size (256 for SAM2).
    """

    def __init__(self, in_channels: int, out_channels: int = 256,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.mlp = nn.Sequential(
            nn.Linear(in_channels, in_channels), nn.ReLU(inplace=True),
            nn.Linear(in_channels, out_channels), nn.Dropout(0.0))

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """(N, C_llm) -> (N, 1, C_sam) prompt embeddings."""
        return self.mlp(hidden.to(self.mlp[0].weight.dtype))[:, None]


def split_by_role(roles: List[str]) -> dict:
    """Index lists per role name (helper for the loss bookkeeping)."""
    out = {}
    for i, r in enumerate(roles):
        out.setdefault(r, []).append(i)
    return out
