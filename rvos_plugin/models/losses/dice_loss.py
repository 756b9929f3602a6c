"""Dice loss for mask logits (mmdet 3.3 ``DiceLoss`` conventions).

mmdet's ``DiceLoss`` lives in ``mmdet.models`` (needs compiled mmcv ops), so
the function and module are re-implemented here with the same knobs:
``use_sigmoid, activate, reduction, naive_dice, loss_weight, eps``.
"""
from typing import Optional

from mmengine.model import BaseModule
from torch import Tensor

from rvos_plugin.registry import MODELS
from .loss_reduction import weight_reduce_loss


def dice_loss(pred: Tensor,
              target: Tensor,
              weight: Optional[Tensor] = None,
              eps: float = 1e-3,
              reduction: str = 'mean',
              naive_dice: bool = False,
              avg_factor: Optional[float] = None) -> Tensor:
    """Dice loss per map (V-Net, Milletari et al. 2016, Eq. (1)).

    With ``a = sum(p * g)`` over the pixels of a map:

    * V-Net form (default): ``1 - 2a / ((sum(p^2) + eps) + (sum(g^2) +
      eps))``.
    * naive form (``naive_dice=True``): ``1 - (2a + eps) / (sum(p) +
      sum(g) + eps)``.

    Args:
        pred (Tensor): (N, ...) probabilities (already activated).
        target (Tensor): (N, ...) binary targets, same shape.
        weight (Tensor, optional): (N,) per-map weights.
        eps (float): Smoothing term.
        reduction (str): ``'none'`` -> (N,), ``'mean'`` or ``'sum'``.
        naive_dice (bool): Use the naive form above.
        avg_factor (float, optional): Divisor for ``'mean'``.

    Returns:
        Tensor: Loss, (N,) or scalar.
    """
    if pred.shape != target.shape:
        raise ValueError(
            f'dice_loss: pred {tuple(pred.shape)} and target '
            f'{tuple(target.shape)} must have the same shape.')
    pred = pred.flatten(1).float()
    target = target.flatten(1).to(pred.dtype)
    inter = (pred * target).sum(1)
    if naive_dice:
        coeff = (2 * inter + eps) / (pred.sum(1) + target.sum(1) + eps)
    else:
        coeff = 2 * inter / ((pred * pred).sum(1) + eps +
                             (target * target).sum(1) + eps)
    loss = 1 - coeff
    if weight is not None:
        if weight.numel() != loss.numel():
            raise ValueError(
                f'dice_loss: weight needs one value per map ({loss.numel()}),'
                f' got {tuple(weight.shape)}.')
        weight = weight.reshape(loss.shape).to(loss.dtype)
    return weight_reduce_loss(loss, weight, reduction, avg_factor)


@MODELS.register_module()
class RVOSDiceLoss(BaseModule):
    """Dice loss module (mmdet ``DiceLoss`` API).

    Args:
        use_sigmoid (bool): Activate logits with sigmoid (only sigmoid is
            supported, as for binary referring masks).
        activate (bool): Apply the sigmoid to ``pred`` (False when ``pred``
            already holds probabilities).
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        naive_dice (bool): See :func:`dice_loss`.
        loss_weight (float): Multiplier of the loss.
        eps (float): Smoothing term.
    """

    def __init__(self,
                 use_sigmoid: bool = True,
                 activate: bool = True,
                 reduction: str = 'mean',
                 naive_dice: bool = False,
                 loss_weight: float = 1.0,
                 eps: float = 1e-3):
        super().__init__()
        if not use_sigmoid:
            raise NotImplementedError(
                'RVOSDiceLoss supports use_sigmoid=True only (binary masks).')
        self.use_sigmoid = use_sigmoid
        self.activate = activate
        self.reduction = reduction
        self.naive_dice = naive_dice
        self.loss_weight = loss_weight
        self.eps = eps

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                reduction_override: Optional[str] = None,
                avg_factor: Optional[float] = None) -> Tensor:
        """Compute the weighted Dice loss.

        Args:
            pred (Tensor): (N, ...) logits (probabilities if not
                ``activate``).
            target (Tensor): (N, ...) binary targets.
            weight (Tensor, optional): (N,) per-map weights.
            reduction_override (str, optional): Replaces ``reduction``.
            avg_factor (float, optional): Divisor for ``'mean'``.

        Returns:
            Tensor: Loss times ``loss_weight``.
        """
        reduction = reduction_override or self.reduction
        if self.activate:
            pred = pred.float().sigmoid()
        return self.loss_weight * dice_loss(
            pred, target, weight, eps=self.eps, reduction=reduction,
            naive_dice=self.naive_dice, avg_factor=avg_factor)
