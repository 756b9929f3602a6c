"""Focal + Dice loss of a similarity map against a binary pseudo-mask.

WSRVOS Eq. (5): ``L_seg = 1/P * sum_k Focal(s^k, m) + DICE(s^k, m)``, where
``s^k`` is the (logit) similarity map of the k-th positive expression and
``m`` the fused binary pseudo-mask (Eq. (4)). mmdet's ``FocalLoss`` and
``DiceLoss`` live in ``mmdet.models`` (not importable with mmcv-lite), so the
two functions are written here with mmdet's conventions (sigmoid focal loss
with ``alpha``/``gamma``, naive-free Dice with ``eps``).
"""
from typing import Optional

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from rvos_plugin.registry import MODELS


def sigmoid_focal_loss(logits: Tensor,
                       target: Tensor,
                       alpha: float = 0.25,
                       gamma: float = 2.0) -> Tensor:
    """Element-wise sigmoid focal loss (Lin et al.), the Focal of Eq. (5).

    ``FL = -alpha_t * (1 - p_t)^gamma * log(p_t)`` with ``p = sigmoid(x)``,
    ``p_t = p`` where the target is 1 and ``1 - p`` elsewhere, ``alpha_t =
    alpha`` for targets 1 and ``1 - alpha`` for targets 0.

    Args:
        logits (Tensor): Similarity logits, any shape ``(*)``.
        target (Tensor): Binary targets of the same shape (float or bool).
        alpha (float): Positive-class weight. WSRVOS code: 0.25.
        gamma (float): Focusing parameter. WSRVOS code: 2.

    Returns:
        Tensor: Element-wise loss of shape ``(*)``, float32.
    """
    logits = logits.float()
    target = target.to(logits.dtype)
    prob = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction='none')
    p_t = prob * target + (1 - prob) * (1 - target)
    alpha_t = alpha * target + (1 - alpha) * (1 - target)
    return alpha_t * (1 - p_t).pow(gamma) * ce


def dice_loss(logits: Tensor, target: Tensor, eps: float = 1.0) -> Tensor:
    """Soft Dice loss per map, the DICE of Eq. (5).

    ``1 - (2 * sum(p * m) + eps) / (sum(p) + sum(m) + eps)`` with
    ``p = sigmoid(logits)``, summed over the last dimension.

    Args:
        logits (Tensor): Logits of shape ``(*, N)`` (N pixels/tokens).
        target (Tensor): Binary targets of shape ``(*, N)``.
        eps (float): Smoothing constant (1 as in DETR-style Dice).

    Returns:
        Tensor: Loss per map, shape ``(*)``.
    """
    prob = logits.float().sigmoid()
    target = target.to(prob.dtype)
    inter = (prob * target).sum(-1)
    union = prob.sum(-1) + target.sum(-1)
    return 1 - (2 * inter + eps) / (union + eps)


def pseudo_mask_segmentation_loss(sim_maps: Tensor,
                                  pseudo_mask: Tensor,
                                  alpha: float = 0.25,
                                  gamma: float = 2.0,
                                  eps: float = 1.0,
                                  valid: Optional[Tensor] = None) -> Tensor:
    """Eq. (5): mean over positives of Focal(s^k, m) + DICE(s^k, m).

    The focal term is averaged over the tokens of a map (mmdet
    ``reduction='mean'``); the Dice term is one value per map. Both are
    averaged over maps (positives, frames, samples).

    Args:
        sim_maps (Tensor): Logit maps of the positives ``(M, P, N)``
            (M = batch x frames, P positives, N tokens).
        pseudo_mask (Tensor): Binary pseudo-masks ``(M, N)``; shared by the
            P positives of the frame.
        alpha, gamma (float): Focal parameters.
        eps (float): Dice smoothing.
        valid (Tensor, optional): Bool ``(M, P)``; maps to include.

    Returns:
        Tensor: Scalar loss.
    """
    target = pseudo_mask.unsqueeze(1).expand_as(sim_maps)
    focal = sigmoid_focal_loss(sim_maps, target, alpha, gamma).mean(-1)
    dice = dice_loss(sim_maps, target, eps)
    per_map = focal + dice
    if valid is None:
        return per_map.mean()
    valid = valid.to(per_map.dtype)
    return (per_map * valid).sum() / valid.sum().clamp(min=1)


@MODELS.register_module()
class WSRVOSPseudoMaskLoss(BaseModule):
    """Registered wrapper of Eq. (5) (Focal + Dice against pseudo-masks).

    Args:
        alpha (float): Focal alpha (released code 0.25).
        gamma (float): Focal gamma (released code 2.0).
        eps (float): Dice smoothing.
        loss_weight (float): lambda_1 of Eq. (7) (paper Sec. 4.2: 2).
    """

    def __init__(self,
                 alpha: float = 0.25,
                 gamma: float = 2.0,
                 eps: float = 1.0,
                 loss_weight: float = 2.0) -> None:
        super().__init__()
        self.alpha = alpha
        self.gamma = gamma
        self.eps = eps
        self.loss_weight = loss_weight

    def forward(self,
                sim_maps: Tensor,
                pseudo_mask: Tensor,
                valid: Optional[Tensor] = None) -> Tensor:
        """Weighted Eq. (5); see :func:`pseudo_mask_segmentation_loss`."""
        return self.loss_weight * pseudo_mask_segmentation_loss(
            sim_maps, pseudo_mask, self.alpha, self.gamma, self.eps, valid)
