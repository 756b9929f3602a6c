"""Bi-directional vision-language feature selection (WSRVOS Sec. 3.3).

At a selection point (after visual block i and text block i'):
1. language-to-vision (``l2v``): cosine similarity of every visual token of a
   frame to each expression (its masked-mean sentence feature projected
   text->visual); the top-K_V tokens per frame per expression are selected;
2. vision-to-language (``v2l``): cosine similarity of every token of an
   expression to the visual tokens selected for it (projected
   visual->text); the top-K_Z tokens are selected;
3. selected tokens are restored in place, the rest zero-filled, and added to
   the inputs: ``v + v_hat`` and ``z + z_hat`` (the released code's
   ``x + x * mask``).

Shapes: ``B`` samples, ``T`` frames, ``Nv`` visual tokens, ``Cv`` visual
channels, ``E`` expressions, ``L`` text tokens, ``Cz`` text channels.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from rvos_plugin.registry import MODELS


def masked_mean(x: Tensor, mask: Tensor, dim: int) -> Tensor:
    """Mean of ``x`` over ``dim`` where ``mask`` is True (0 when empty).

    Args:
        x (Tensor): ``(*, N, C)`` with ``dim`` indexing N.
        mask (Tensor): Bool ``(*, N)``.
        dim (int): Reduced dimension of ``x``.
    """
    m = mask.to(x.dtype).unsqueeze(-1)
    return (x * m).sum(dim) / m.sum(dim).clamp(min=1)


def topk_mask(scores: Tensor, k: int, valid: Optional[Tensor] = None,
              dim: int = -1) -> Tensor:
    """Bool mask of the top-k entries of ``scores`` along ``dim``.

    Invalid entries are never selected; when fewer than k entries are valid,
    all valid ones are selected.

    Args:
        scores (Tensor): Any shape.
        k (int): Number of entries to select.
        valid (Tensor, optional): Bool, broadcastable to ``scores``.
        dim (int): Dimension to select along.
    """
    scores = scores.detach().float()
    if valid is not None:
        valid = valid.expand_as(scores)
        scores = scores.masked_fill(~valid, float('-inf'))
    k = min(k, scores.shape[dim])
    idx = scores.topk(k, dim=dim).indices
    mask = torch.zeros_like(scores, dtype=torch.bool).scatter_(dim, idx, True)
    if valid is not None:
        mask &= valid
    return mask


def select_visual_tokens(visual: Tensor, sentence: Tensor, k_v: int) -> Tensor:
    """Sec. 3.3 l2v: top-K_V visual tokens per frame for each expression.

    Args:
        visual (Tensor): ``(B, T, Nv, C)`` visual tokens.
        sentence (Tensor): ``(B, E, C)`` sentence features in the visual
            space.
        k_v (int): K_V (Sec. 4.2: 10).

    Returns:
        Tensor: Bool ``(B, T, Nv, E)``, True for selected tokens.
    """
    cos = F.normalize(visual, dim=-1) @ F.normalize(
        sentence, dim=-1)[:, None].transpose(-1, -2)  # (B, T, Nv, E)
    return topk_mask(cos, k_v, dim=2)


def select_linguistic_tokens(text: Tensor, text_mask: Tensor,
                             visual: Tensor, visual_sel: Tensor,
                             k_z: int) -> Tensor:
    """Sec. 3.3 v2l: top-K_Z text tokens relevant to the selected visual ones.

    A token's relevance is its cosine similarity to the mean of the visual
    tokens selected for its expression (over all frames).

    Args:
        text (Tensor): ``(B, E, L, C)`` text tokens.
        text_mask (Tensor): Bool ``(B, E, L)``, False for padding.
        visual (Tensor): ``(B, T, Nv, C)`` visual tokens in the text space.
        visual_sel (Tensor): Bool ``(B, T, Nv, E)`` from
            :func:`select_visual_tokens`.
        k_z (int): K_Z (Sec. 4.2: 10).

    Returns:
        Tensor: Bool ``(B, E, L)``.
    """
    B, T, Nv, C = visual.shape
    sel = visual_sel.to(visual.dtype).permute(0, 3, 1, 2)
    sel = sel.reshape(B, -1, T * Nv)  # (B, E, T*Nv)
    summary = sel @ visual.reshape(B, T * Nv, C)  # (B, E, C)
    summary = summary / sel.sum(-1, keepdim=True).clamp(min=1)
    cos = (F.normalize(text, dim=-1) *
           F.normalize(summary, dim=-1).unsqueeze(2)).sum(-1)  # (B, E, L)
    return topk_mask(cos, k_z, valid=text_mask, dim=-1)


def add_selected(x: Tensor, mask: Tensor) -> Tensor:
    """Sec. 3.3: ``x + x_hat`` with ``x_hat`` = selected tokens, zero-filled.

    Args:
        x (Tensor): ``(*, N, C)``.
        mask (Tensor): Bool ``(*, N)``.
    """
    return x + x * mask.unsqueeze(-1).to(x.dtype)


@MODELS.register_module()
class WSRVOSFeatureSelection(BaseModule):
    """One bi-directional selection point (Sec. 3.3, Tab. 5).

    Args:
        visual_channels (int): Cv of the visual block output.
        text_channels (int): Cz of the text block output.
        k_v (int): K_V visual tokens per frame per expression (Sec. 4.2: 10).
        k_z (int): K_Z linguistic tokens per expression (Sec. 4.2: 10).
        l2v (bool): Language-guided visual selection (Tab. 5 "l2v").
        v2l (bool): Vision-guided linguistic selection (Tab. 5 "v2l").
    """

    def __init__(self,
                 visual_channels: int,
                 text_channels: int,
                 k_v: int = 10,
                 k_z: int = 10,
                 l2v: bool = True,
                 v2l: bool = True,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.k_v = k_v
        self.k_z = k_z
        self.l2v = l2v
        self.v2l = v2l
        # per-point projections (the dimensions differ): text->visual for
        # ranking visual tokens, visual->text for ranking text tokens.
        self.text_to_visual = nn.Linear(text_channels, visual_channels)
        self.visual_to_text = nn.Linear(visual_channels, text_channels)

    def forward(self, visual: Tensor, text: Tensor, text_mask: Tensor,
                condition: Tensor) -> Tuple[Tensor, Tensor]:
        """Select and amplify.

        Args:
            visual (Tensor): ``(B, T, Nv, Cv)`` visual tokens.
            text (Tensor): ``(B, E, L, Cz)`` text tokens.
            text_mask (Tensor): Bool ``(B, E, L)``.
            condition (Tensor): Bool ``(B, E)``: expressions whose selected
                visual tokens are amplified in the (shared) video features
                (positives in training, the input expression at test).

        Returns:
            tuple: ``visual + v_hat`` ``(B, T, Nv, Cv)`` and ``text + z_hat``
            ``(B, E, L, Cz)``.
        """
        if not (self.l2v or self.v2l):
            return visual, text
        sentence = self.text_to_visual(masked_mean(text, text_mask, dim=2))
        visual_sel = select_visual_tokens(visual, sentence, self.k_v)
        out_visual, out_text = visual, text
        if self.l2v:
            union = (visual_sel & condition[:, None, None, :]).any(-1)
            out_visual = add_selected(visual, union)
        if self.v2l:
            text_sel = select_linguistic_tokens(
                text, text_mask, self.visual_to_text(visual), visual_sel,
                self.k_z)
            out_text = add_selected(text, text_sel)
        return out_visual, out_text
