"""Temporal segment ranking (WSRVOS Eq. (6)) and its PSC variant (Tab. S3).

Masks of temporally closer frames should overlap more:
``IoU(m_t, m_l) >= IoU(m_t, m_n)`` for ``t < l < n``. The binary masks of the
paper are replaced by soft masks (probabilities) and a soft IoU so that the
constraint has a gradient.
"""
import torch
from mmengine.model import BaseModule
from torch import Tensor

from rvos_plugin.registry import MODELS


def soft_iou(a: Tensor, b: Tensor, eps: float = 1e-6) -> Tensor:
    """Soft IoU ``sum(a*b) / (sum(a) + sum(b) - sum(a*b))`` over the last dim.

    Args:
        a, b (Tensor): Soft masks in [0, 1], shape ``(*, N)``.
        eps (float): Guards the empty-union case (IoU of two empty masks = 0).

    Returns:
        Tensor: ``(*)``.
    """
    inter = (a * b).sum(-1)
    union = a.sum(-1) + b.sum(-1) - inter
    return inter / (union + eps)


def pairwise_iou_matrix(masks: Tensor) -> Tensor:
    """Soft IoU of every frame pair.

    Args:
        masks (Tensor): ``(*, T, N)`` soft masks.

    Returns:
        Tensor: ``(*, T, T)``.
    """
    return soft_iou(masks.unsqueeze(-2), masks.unsqueeze(-3))


def temporal_segment_ranking_loss(masks: Tensor,
                                  epsilon: float = 0.1) -> Tensor:
    """Eq. (6): ``sum_{t<l<n} ReLU(IoU(m_t, m_n) - IoU(m_t, m_l) - eps)``.

    Args:
        masks (Tensor): Soft masks of T temporally ordered frames,
            ``(*, T, N)``.
        epsilon (float): Tolerance (paper Sec. 4.2: 0.1).

    Returns:
        Tensor: ``(*)``, the sum over all ordered triplets (0 when T < 3).
    """
    iou = pairwise_iou_matrix(masks.float())
    T = masks.shape[-2]
    idx = torch.arange(T, device=masks.device)
    t, l, n = torch.meshgrid(idx, idx, idx, indexing='ij')
    valid = (t < l) & (l < n)
    if not bool(valid.any()):
        return iou.sum((-1, -2)) * 0
    t, l, n = t[valid], l[valid], n[valid]
    far = iou[..., t, n]
    near = iou[..., t, l]
    return torch.relu(far - near - epsilon).sum(-1)


def pairwise_segment_consistency_loss(masks: Tensor) -> Tensor:
    """PSC variant (Tab. S3): ``sum_t (1 - IoU(m_t, m_{t+1}))``.

    Encourages the IoU of each pair of consecutive frames to be close to 1.

    Args:
        masks (Tensor): ``(*, T, N)`` soft masks.

    Returns:
        Tensor: ``(*)``.
    """
    masks = masks.float()
    iou = soft_iou(masks[..., :-1, :], masks[..., 1:, :])
    return (1 - iou).sum(-1)


@MODELS.register_module()
class WSRVOSTemporalRankingLoss(BaseModule):
    """Registered temporal constraint: ``'tsr'`` (Eq. (6)) or ``'psc'``.

    Args:
        mode (str): ``'tsr'`` temporal segment ranking (paper default) or
            ``'psc'`` pairwise segment consistency (Tab. S3).
        epsilon (float): Eq. (6) tolerance (Sec. 4.2: 0.1).
        loss_weight (float): lambda_2 of Eq. (7) (Sec. 4.2: 1).
    """

    def __init__(self,
                 mode: str = 'tsr',
                 epsilon: float = 0.1,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if mode not in ('tsr', 'psc'):
            raise ValueError(f"mode must be 'tsr' or 'psc', got {mode!r}")
        self.mode = mode
        self.epsilon = epsilon
        self.loss_weight = loss_weight

    def forward(self, masks: Tensor) -> Tensor:
        """Args: masks ``(B, T, N)`` soft masks. Returns: batch-mean scalar."""
        if self.mode == 'tsr':
            loss = temporal_segment_ranking_loss(masks, self.epsilon)
        else:
            loss = pairwise_segment_consistency_loss(masks)
        return self.loss_weight * loss.mean()
