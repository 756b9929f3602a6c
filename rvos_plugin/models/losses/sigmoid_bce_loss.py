"""Per-pixel sigmoid binary cross-entropy for mask logits (mmdet API).

Equivalent of mmdet 3.3 ``CrossEntropyLoss(use_sigmoid=True, use_mask=False)``
applied to dense maps, with mmdet's ``weight/reduction/avg_factor`` knobs.
"""
from typing import Optional

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from rvos_plugin.registry import MODELS
from .loss_reduction import weight_reduce_loss


def sigmoid_bce_loss(pred: Tensor,
                     target: Tensor,
                     weight: Optional[Tensor] = None,
                     reduction: str = 'mean',
                     avg_factor: Optional[float] = None,
                     pos_weight: Optional[float] = None) -> Tensor:
    """Binary cross-entropy on logits, element-wise then reduced.

    ``l = -(w_p * g * log(sigmoid(x)) + (1 - g) * log(1 - sigmoid(x)))``
    with ``w_p = pos_weight`` (1 when None), computed stably from logits.

    Args:
        pred (Tensor): (N, ...) logits.
        target (Tensor): (N, ...) binary targets.
        weight (Tensor, optional): Broadcastable element weights.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        avg_factor (float, optional): Divisor for ``'mean'``.
        pos_weight (float, optional): Weight of positive pixels.

    Returns:
        Tensor: Loss, (N, ...) or scalar.
    """
    if pred.shape != target.shape:
        raise ValueError(
            f'sigmoid_bce_loss: pred {tuple(pred.shape)} and target '
            f'{tuple(target.shape)} must have the same shape.')
    pred = pred.float()
    target = target.to(pred.dtype)
    pw = None if pos_weight is None else pred.new_tensor(pos_weight)
    loss = F.binary_cross_entropy_with_logits(
        pred, target, reduction='none', pos_weight=pw)
    return weight_reduce_loss(loss, weight, reduction, avg_factor)


@MODELS.register_module()
class RVOSSigmoidBCELoss(BaseModule):
    """Sigmoid BCE module for mask logits.

    Args:
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight (float): Multiplier of the loss.
        pos_weight (float, optional): Weight of positive pixels.
    """

    def __init__(self,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 pos_weight: Optional[float] = None):
        super().__init__()
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.pos_weight = pos_weight

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                reduction_override: Optional[str] = None,
                avg_factor: Optional[float] = None) -> Tensor:
        """Weighted BCE times ``loss_weight`` (shapes as
        :func:`sigmoid_bce_loss`)."""
        reduction = reduction_override or self.reduction
        return self.loss_weight * sigmoid_bce_loss(
            pred, target, weight, reduction=reduction,
            avg_factor=avg_factor, pos_weight=self.pos_weight)
