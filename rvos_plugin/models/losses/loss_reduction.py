"""mmdet-style loss reduction (``mmdet.models.losses.utils`` needs mmcv ops).

Same semantics as mmdet 3.3 ``reduce_loss`` / ``weight_reduce_loss``, so the
plugin's losses accept mmdet's ``weight``, ``reduction`` and ``avg_factor``.
"""
from typing import Optional

import torch
from torch import Tensor

_REDUCTIONS = ('none', 'mean', 'sum')


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    """Reduce an element-wise loss with ``'none'|'mean'|'sum'``."""
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f'reduction must be one of {_REDUCTIONS}, got {reduction!r}.')
    if reduction == 'mean':
        return loss.mean()
    if reduction == 'sum':
        return loss.sum()
    return loss


def weight_reduce_loss(loss: Tensor,
                       weight: Optional[Tensor] = None,
                       reduction: str = 'mean',
                       avg_factor: Optional[float] = None) -> Tensor:
    """Apply element-wise ``weight`` then reduce.

    Args:
        loss (Tensor): Element-wise loss, shape (N, ...).
        weight (Tensor, optional): Broadcastable to ``loss``.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        avg_factor (float, optional): Divisor replacing the element count
            for ``'mean'`` (e.g. number of valid maps across GPUs).

    Returns:
        Tensor: Reduced loss.
    """
    if weight is not None:
        loss = loss * weight
    if avg_factor is None:
        return reduce_loss(loss, reduction)
    if reduction == 'mean':
        eps = torch.finfo(torch.float32).eps
        return loss.sum() / (avg_factor + eps)
    if reduction == 'none':
        return loss
    raise ValueError('avg_factor can not be used with reduction="sum".')
