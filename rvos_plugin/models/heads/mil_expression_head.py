"""Instance-aware expression classification (WSRVOS Sec. 3.4), a MIL head.

Per frame: proposals from thresholded similarity maps, one proposal feature
per expression, a classification flow (``W_cls = F_Z^T``, not a parameter)
and a segmentation flow (``W_smt``, learnable) in the WSDDN style, fused into
one frame-expression score ``y_k`` (Eq. (2)) supervised by BCE (Eq. (3)).

Shapes: ``B`` samples, ``T`` frames, ``Nv`` visual tokens per frame, ``E``
expression slots (P positives + N negatives, padded slots masked by
``expr_valid``), ``D`` feature dimension.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from rvos_plugin.registry import MODELS

#: Variants of Tab. 7 (plus the full scheme).
MIL_VARIANTS = ('full', 'no_paem', 'no_cls', 'no_smt', 'cls_learn')


def proposal_masks(sim_logits: Tensor, threshold: float = 0.4) -> Tensor:
    """Sec. 3.4: binary proposal ``m^k = sigmoid(s^k) > theta``.

    Args:
        sim_logits (Tensor): Similarity maps ``(*, Nv, E)``.
        threshold (float): theta (paper Sec. 3.4: 0.4).

    Returns:
        Tensor: Float {0, 1} masks ``(*, Nv, E)`` (no gradient).
    """
    return (sim_logits.detach().float().sigmoid() > threshold).to(
        sim_logits.dtype)


def proposal_features(visual: Tensor, masks: Tensor) -> Tensor:
    """Sec. 3.4: ``r_k = sum_j m^k_j v_j / sum_j m^k_j``; zero when empty.

    Args:
        visual (Tensor): Visual tokens of a frame ``(*, Nv, D)``.
        masks (Tensor): Proposal masks ``(*, Nv, E)``.

    Returns:
        Tensor: Proposal features ``R`` of shape ``(*, E, D)``; rows of
        expressions without any activated token are zero vectors (no NaN).
    """
    masks = masks.to(visual.dtype)
    summed = masks.transpose(-1, -2) @ visual  # (*, E, D)
    count = masks.sum(-2).unsqueeze(-1)  # (*, E, 1)
    return summed / count.clamp(min=1)


def masked_softmax(scores: Tensor, mask: Tensor, dim: int) -> Tensor:
    """Softmax over ``dim`` ignoring entries where ``mask`` is False.

    Fully masked slices give zeros (not NaN).
    """
    scores = scores.float().masked_fill(~mask, float('-inf'))
    out = torch.softmax(scores, dim=dim)
    return torch.nan_to_num(out, nan=0.0)


def frame_expression_scores(u_cls: Tensor, u_smt: Tensor) -> Tensor:
    """Eq. (2): ``y_k = sum_n u^k_n`` with ``U_fuse = U_cls * U_smt``.

    Args:
        u_cls (Tensor): Row-softmaxed classification scores ``(*, E, E)``
            (rows = proposals n, columns = expressions k).
        u_smt (Tensor): Column-softmaxed segmentation scores ``(*, E, E)``.

    Returns:
        Tensor: ``y`` of shape ``(*, E)``, in [0, 1] per expression.
    """
    return (u_cls * u_smt).sum(-2)


def expression_classification_loss(y: Tensor,
                                   labels: Tensor,
                                   valid: Optional[Tensor] = None) -> Tensor:
    """Eq. (3): BCE with ``sigmoid(y_k)`` (the printed form), mean over k.

    ``L_cls = -1/(P+N) sum_k [g_k log(1/(1+e^-y_k)) +
    (1-g_k) log(e^-y_k/(1+e^-y_k))]``, averaged over frames and samples.

    Args:
        y (Tensor): Frame-expression scores ``(*, E)``.
        labels (Tensor): g_k, 1 for positives, 0 for negatives ``(*, E)``.
        valid (Tensor, optional): Bool ``(*, E)`` slots to include.

    Returns:
        Tensor: Scalar.
    """
    loss = F.binary_cross_entropy_with_logits(
        y.float(), labels.float(), reduction='none')
    if valid is None:
        return loss.mean()
    valid = valid.to(loss.dtype)
    per_row = (loss * valid).sum(-1) / valid.sum(-1).clamp(min=1)
    return per_row.mean()


def clamped_score_bce_loss(y: Tensor,
                           labels: Tensor,
                           valid: Optional[Tensor] = None,
                           eps: float = 1e-6) -> Tensor:
    """Released-code form of Eq. (3): BCE on the clamped score ``y`` itself.

    The released code averages ``y`` over the frames of a sample first
    (sample score) and applies ``BCE(clamp(y, eps, 1 - eps), g)``.

    Args:
        y (Tensor): Frame-expression scores ``(B, T, E)`` in [0, 1].
        labels (Tensor): ``(B, E)``.
        valid (Tensor, optional): Bool ``(B, E)``.
        eps (float): Clamp margin.

    Returns:
        Tensor: Scalar.
    """
    score = y.float().mean(1).clamp(eps, 1 - eps)
    loss = F.binary_cross_entropy(score, labels.float(), reduction='none')
    if valid is None:
        return loss.mean()
    valid = valid.to(loss.dtype)
    return ((loss * valid).sum(-1) / valid.sum(-1).clamp(min=1)).mean()


@MODELS.register_module()
class WSRVOSMILHead(BaseModule):
    """MIL expression-classification head (Sec. 3.4, Tab. 7 variants).

    Args:
        feat_dim (int): D, the dimension of visual and linguistic features.
        num_slots (int): E = P + N expression slots (Sec. 4.2: 6 + 48).
        threshold (float): theta for proposals (Sec. 3.4: 0.4).
        variant (str): ``'full'`` (paper), ``'no_paem'`` (a linear
            classifier on R, Tab. 7), ``'no_cls'`` (segmentation flow only),
            ``'no_smt'`` (classification flow only), ``'cls_learn'`` (W_cls a
            learnable layer, Tab. 7).
        slot_agnostic_smt (bool): Lever (WSRVOS_PITFALLS.md): replace the
            ``Linear(D, E)`` of ``W_smt`` (one column per slot, so it can
            learn the slot layout) by a bilinear score
            ``(R A) F_Z^T`` shared by all slots. Default False (paper).
        released_code_bce_on_y (bool): Apply BCE to the clamped ``y``
            averaged over frames, as the released code does, instead of the
            printed sigmoid form of Eq. (3). Default False (paper).
        loss_weight (float): Weight of L_cls in Eq. (7) (1).
    """

    def __init__(self,
                 feat_dim: int,
                 num_slots: int,
                 threshold: float = 0.4,
                 variant: str = 'full',
                 slot_agnostic_smt: bool = False,
                 released_code_bce_on_y: bool = False,
                 loss_weight: float = 1.0,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if variant not in MIL_VARIANTS:
            raise ValueError(
                f'variant must be one of {MIL_VARIANTS}, got {variant!r}')
        self.feat_dim = feat_dim
        self.num_slots = num_slots
        self.threshold = threshold
        self.variant = variant
        self.slot_agnostic_smt = slot_agnostic_smt
        self.released_code_bce_on_y = released_code_bce_on_y
        self.loss_weight = loss_weight
        if variant == 'no_paem':
            self.linear_cls = nn.Linear(feat_dim, 1)
            return
        if variant != 'no_smt':
            if slot_agnostic_smt:
                self.smt_proj = nn.Linear(feat_dim, feat_dim, bias=False)
            else:
                self.w_smt = nn.Linear(feat_dim, num_slots, bias=False)
        if variant == 'cls_learn':
            self.w_cls = nn.Linear(feat_dim, num_slots, bias=False)

    def _check_slots(self, num_slots: int) -> None:
        needs_fixed = (self.variant == 'cls_learn' or
                       (self.variant != 'no_paem' and
                        self.variant != 'no_smt' and
                        not self.slot_agnostic_smt))
        if needs_fixed and num_slots != self.num_slots:
            raise ValueError(
                f'WSRVOSMILHead has {self.num_slots} learnable expression '
                f'slots (P + N) but received {num_slots}; set '
                'model.num_positives/num_negatives to match head.num_slots '
                '(padded slots are fine, more slots are not).')

    def forward(self, visual: Tensor, sim_logits: Tensor, text: Tensor,
                expr_valid: Tensor) -> dict:
        """Frame-expression scores.

        Args:
            visual (Tensor): Final visual tokens ``(B, T, Nv, D)``.
            sim_logits (Tensor): Similarity maps ``(B, T, Nv, E)``.
            text (Tensor): Expression features ``F_Z`` ``(B, E, D)``; the
                transposed ``W_cls`` of the classification flow.
            expr_valid (Tensor): Bool ``(B, E)``, False for padded slots.

        Returns:
            dict: ``y`` ``(B, T, E)`` scores (logits for ``'no_paem'``),
            ``proposal_masks`` ``(B, T, Nv, E)``, ``num_active`` ``(B, T, E)``.
        """
        B, T, Nv, E = sim_logits.shape
        self._check_slots(E)
        masks = proposal_masks(sim_logits, self.threshold)
        R = proposal_features(visual, masks)  # (B, T, E, D)
        out = dict(proposal_masks=masks, num_active=masks.sum(2))
        if self.variant == 'no_paem':
            out['y'] = self.linear_cls(R).squeeze(-1)
            return out
        valid = expr_valid[:, None, :, None] & expr_valid[:, None, None, :]
        valid = valid.expand(B, T, E, E)
        text_t = text[:, None].expand(B, T, E, text.shape[-1])
        u_cls = u_smt = None
        if self.variant != 'no_cls':
            if self.variant == 'cls_learn':
                scores = self.w_cls(R)
            else:  # W_cls = F_Z^T: not a parameter
                scores = R @ text_t.transpose(-1, -2)
            u_cls = masked_softmax(scores, valid, dim=-1)  # row-wise
        if self.variant != 'no_smt':
            if self.slot_agnostic_smt:
                smt = self.smt_proj(R) @ text_t.transpose(-1, -2)
            else:
                smt = self.w_smt(R)
            u_smt = masked_softmax(smt, valid, dim=-2)  # column-wise
        if u_cls is None:
            # w/o cls: the segmentation flow both selects (column softmax)
            # and scores (its raw logits), an attention-pooled smt score.
            y = (u_smt * smt.float().masked_fill(~valid, 0)).sum(-2)
        elif u_smt is None:
            # w/o smt: classification probabilities summed over proposals.
            y = u_cls.sum(-2)
        else:
            y = frame_expression_scores(u_cls, u_smt)
        out['y'] = y
        return out

    def loss(self, y: Tensor, labels: Tensor, expr_valid: Tensor) -> Tensor:
        """Eq. (3) (or its released-code form), weighted.

        Args:
            y (Tensor): ``(B, T, E)`` from :meth:`forward`.
            labels (Tensor): ``(B, E)`` 1 positive / 0 negative.
            expr_valid (Tensor): Bool ``(B, E)``.

        Returns:
            Tensor: Scalar.
        """
        if self.released_code_bce_on_y and self.variant != 'no_paem':
            loss = clamped_score_bce_loss(y, labels, expr_valid)
        else:
            T = y.shape[1]
            loss = expression_classification_loss(
                y, labels[:, None].expand(-1, T, -1),
                expr_valid[:, None].expand(-1, T, -1))
        return self.loss_weight * loss
