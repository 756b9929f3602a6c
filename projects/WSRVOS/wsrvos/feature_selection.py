"""Bi-directional vision-language feature selection (WSRVOS Sec. 3.3).

At a selection point (after visual block i and text block i'):
1. language-to-vision (``l2v``): cosine similarity of every visual token of a
   frame to each expression (its masked-mean sentence feature); the top-K_V
   tokens per frame per expression are selected;
2. vision-to-language (``v2l``): cosine similarity of every token of an
   expression to the visual tokens selected for it; the top-K_Z tokens are
   selected;
3. selected tokens are restored in place, the rest zero-filled, and added to
   the inputs: ``v + v_hat`` and ``z + z_hat``.

The cosine similarities are computed in a shared space (``scorer``):
- ``'shared_cosine'`` (default, the paper): both modalities are projected into
  one ``shared_dim``-space (Sec. 3.3 states C = 1024 for both encoders) by
  learnable projections. The top-k choice is discrete, so the amplification
  is gated by a straight-through factor ``1 + s - stopgrad(s)`` (``s`` the
  token's cosine score): the forward values are exactly ``v + v_hat``, and the
  projections receive the gradient of the loss with respect to that gate.
- ``'released_linear'`` (the released code): ``text -> visual`` and
  ``visual -> text`` linear maps that start random and never train. They are
  kept as buffers (saved in checkpoints, never in the optimizer, never an
  unused DDP parameter). As there, the visual->text map is applied to the
  mean of the selected visual tokens (an affine map of a mean equals the
  mean of the mapped tokens: the order changes rounding only).

``v2l_visual`` chooses the visual tokens the v2l step averages: the tokens
entering the selection point (paper: both directions score the same
features) or, as the released code, the tokens after the l2v amplification
``v + v_hat``.

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

SCORERS = ('shared_cosine', 'released_linear')
V2L_VISUAL = ('input', 'amplified')


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


def visual_token_scores(visual: Tensor, sentence: Tensor) -> Tensor:
    """Sec. 3.3 l2v scores: cosine of every visual token to each sentence.

    Args:
        visual (Tensor): ``(B, T, Nv, C)`` visual tokens (shared space).
        sentence (Tensor): ``(B, E, C)`` sentence features (shared space).

    Returns:
        Tensor: ``(B, T, Nv, E)`` cosine similarities.
    """
    return F.normalize(visual, dim=-1) @ F.normalize(
        sentence, dim=-1)[:, None].transpose(-1, -2)


def linguistic_token_scores(text: Tensor, visual: Tensor,
                            visual_sel: Tensor) -> Tensor:
    """Sec. 3.3 v2l scores: cosine of every text token to the mean of the
    visual tokens selected for its expression (over all frames).

    Args:
        text (Tensor): ``(B, E, L, C)`` text tokens (shared space).
        visual (Tensor): ``(B, T, Nv, C)`` visual tokens (shared space).
        visual_sel (Tensor): Bool ``(B, T, Nv, E)`` selected visual tokens.

    Returns:
        Tensor: ``(B, E, L)`` cosine similarities.
    """
    return summary_token_scores(text, selected_visual_mean(visual,
                                                           visual_sel))


def selected_visual_mean(visual: Tensor, visual_sel: Tensor) -> Tensor:
    """Sec. 3.3 v2l: mean of the visual tokens selected for each expression
    (over all frames).

    Args:
        visual (Tensor): ``(B, T, Nv, C)``.
        visual_sel (Tensor): Bool ``(B, T, Nv, E)``.

    Returns:
        Tensor: ``(B, E, C)`` (zero where nothing is selected).
    """
    B, T, Nv, C = visual.shape
    sel = visual_sel.to(visual.dtype).permute(0, 3, 1, 2).reshape(B, -1,
                                                                  T * Nv)
    summary = sel @ visual.reshape(B, T * Nv, C)  # (B, E, C)
    return summary / sel.sum(-1, keepdim=True).clamp(min=1)


def summary_token_scores(text: Tensor, summary: Tensor) -> Tensor:
    """Sec. 3.3 v2l: cosine of every text token to its expression's visual
    summary.

    Args:
        text (Tensor): ``(B, E, L, C)``; summary ``(B, E, C)``.

    Returns:
        Tensor: ``(B, E, L)``.
    """
    return (F.normalize(text, dim=-1) *
            F.normalize(summary, dim=-1).unsqueeze(2)).sum(-1)


def select_visual_tokens(visual: Tensor, sentence: Tensor, k_v: int) -> Tensor:
    """Sec. 3.3 l2v: top-K_V visual tokens per frame for each expression.

    Args:
        visual (Tensor): ``(B, T, Nv, C)``; sentence ``(B, E, C)`` in the
            same space; k_v: K_V (Sec. 4.2: 10).

    Returns:
        Tensor: Bool ``(B, T, Nv, E)``.
    """
    return topk_mask(visual_token_scores(visual, sentence), k_v, dim=2)


def select_linguistic_tokens(text: Tensor, text_mask: Tensor,
                             visual: Tensor, visual_sel: Tensor,
                             k_z: int) -> Tensor:
    """Sec. 3.3 v2l: top-K_Z text tokens relevant to the selected visual ones.

    Args:
        text (Tensor): ``(B, E, L, C)``; text_mask Bool ``(B, E, L)``;
            visual ``(B, T, Nv, C)`` in the same space; visual_sel Bool
            ``(B, T, Nv, E)``; k_z: K_Z (Sec. 4.2: 10).

    Returns:
        Tensor: Bool ``(B, E, L)``.
    """
    cos = linguistic_token_scores(text, visual, visual_sel)
    return topk_mask(cos, k_z, valid=text_mask, dim=-1)


def add_selected(x: Tensor, mask: Tensor,
                 score: Optional[Tensor] = None) -> Tensor:
    """Sec. 3.3: ``x + x_hat`` with ``x_hat`` = selected tokens, zero-filled.

    Args:
        x (Tensor): ``(*, N, C)``.
        mask (Tensor): Bool ``(*, N)``.
        score (Tensor, optional): ``(*, N)`` selection scores. When given,
            ``x_hat`` is multiplied by the straight-through gate
            ``1 + score - stopgrad(score)`` (value 1: the forward is
            unchanged; the scores receive a gradient).
    """
    gate = mask.to(x.dtype)
    if score is not None:
        gate = gate * (1 + (score - score.detach())).to(x.dtype)
    return x + x * gate.unsqueeze(-1)


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
        scorer (str): ``'shared_cosine'`` (paper, learnable) or
            ``'released_linear'`` (released code, fixed random maps).
        shared_dim (int): Dimension of the shared space of
            ``'shared_cosine'`` (the model passes its hidden_dim, C = 1024).
        v2l_visual (str): Visual tokens the v2l step averages: ``'input'``
            (paper: those entering the point) or ``'amplified'`` (released
            code: ``v + v_hat`` after the l2v step).
    """

    def __init__(self,
                 visual_channels: int,
                 text_channels: int,
                 k_v: int = 10,
                 k_z: int = 10,
                 l2v: bool = True,
                 v2l: bool = True,
                 scorer: str = 'shared_cosine',
                 shared_dim: int = 1024,
                 v2l_visual: str = 'input',
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if scorer not in SCORERS:
            raise ValueError(f'scorer must be one of {SCORERS}, got '
                             f'{scorer!r}')
        if v2l_visual not in V2L_VISUAL:
            raise ValueError(f'v2l_visual must be one of {V2L_VISUAL}, got '
                             f'{v2l_visual!r}')
        self.v2l_visual = v2l_visual
        self.k_v, self.k_z, self.l2v, self.v2l = k_v, k_z, l2v, v2l
        self.scorer = scorer
        if scorer == 'shared_cosine':
            self.visual_to_shared = nn.Linear(visual_channels, shared_dim)
            self.text_to_shared = nn.Linear(text_channels, shared_dim)
        else:
            # the released code's scorers (nn.Linear init), as buffers
            t2v = nn.Linear(text_channels, visual_channels)
            v2t = nn.Linear(visual_channels, text_channels)
            self.register_buffer('released_t2v_weight', t2v.weight.data)
            self.register_buffer('released_t2v_bias', t2v.bias.data)
            self.register_buffer('released_v2t_weight', v2t.weight.data)
            self.register_buffer('released_v2t_bias', v2t.bias.data)

    def forward(self, visual: Tensor, text: Tensor, text_mask: Tensor,
                condition: Tensor) -> Tuple[Tensor, Tensor]:
        """Select and amplify.

        Args:
            visual (Tensor): ``(B, T, Nv, Cv)`` visual tokens.
            text (Tensor): ``(B, E, L, Cz)`` text tokens.
            text_mask (Tensor): Bool ``(B, E, L)``.
            condition (Tensor): Bool ``(B, E)``: expressions whose selected
                visual tokens are amplified in the (shared) video features.

        Returns:
            tuple: ``visual + v_hat`` ``(B, T, Nv, Cv)`` and ``text + z_hat``
            ``(B, E, L, Cz)``.
        """
        if not (self.l2v or self.v2l):
            return visual, text
        if self.scorer == 'shared_cosine':
            v_s = self.visual_to_shared(visual)
            z_s = self.text_to_shared(text)
            sentence = masked_mean(z_s, text_mask, dim=2)
            ste = True
        else:  # released code: sentence -> visual, visual -> text
            sentence = F.linear(masked_mean(text, text_mask, dim=2),
                                self.released_t2v_weight,
                                self.released_t2v_bias)
            v_s, z_s = visual, text
            ste = False
        v_scores = visual_token_scores(v_s, sentence)  # (B, T, Nv, E)
        visual_sel = topk_mask(v_scores, self.k_v, dim=2)
        out_visual, out_text = visual, text
        if self.l2v:
            chosen = visual_sel & condition[:, None, None, :]
            union = chosen.any(-1)
            score = None
            if ste:  # best score among the expressions that chose a token
                score = v_scores.masked_fill(~chosen, -2.).amax(-1)
                score = torch.where(union, score, torch.zeros_like(score))
            out_visual = add_selected(visual, union, score)
        if self.v2l:
            amplified = self.v2l_visual == 'amplified'
            if ste:
                if amplified:
                    v_s = self.visual_to_shared(out_visual)
                t_scores = linguistic_token_scores(z_s, v_s, visual_sel)
            else:  # released code: average, then the visual -> text map
                summary = F.linear(
                    selected_visual_mean(
                        out_visual if amplified else visual, visual_sel),
                    self.released_v2t_weight, self.released_v2t_bias)
                t_scores = summary_token_scores(text, summary)
            text_sel = topk_mask(t_scores, self.k_z, valid=text_mask, dim=-1)
            out_text = add_selected(text, text_sel,
                                    t_scores if ste else None)
        return out_visual, out_text
