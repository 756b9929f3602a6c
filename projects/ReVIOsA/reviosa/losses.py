"""Mask and attention-map losses of ReVIOsA (Sec. 4.2 + released code)."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F

from rvos_plugin.models.losses.dice_loss import dice_loss
from rvos_plugin.models.losses.sigmoid_bce_loss import sigmoid_bce_loss


def sample_points(logits: torch.Tensor, num_points: int,
                  oversample_ratio: float = 3.0,
                  importance_sample_ratio: float = 0.75,
                  generator: Optional[torch.Generator] = None
                  ) -> torch.Tensor:
    """Uncertainty-based point coordinates (Mask2Former / Sa2VA point loss).

    ``oversample_ratio * num_points`` random points are scored by the
    uncertainty ``-|logit|``; the most uncertain ``importance_sample_ratio``
    share is kept and the rest drawn uniformly.

    Args:
        logits (Tensor): (N, 1, H, W) mask logits.

    Returns:
        Tensor: (N, P, 2) normalised (x, y) coordinates in [0, 1].
    """
    n = logits.size(0)
    device = logits.device
    num_sampled = int(num_points * oversample_ratio)
    coords = torch.rand(n, num_sampled, 2, device=device,
                        generator=generator)
    point_logits = point_sample(logits, coords)  # (N, 1, S)
    uncertainty = -point_logits.abs()[:, 0]
    num_uncertain = int(importance_sample_ratio * num_points)
    num_random = num_points - num_uncertain
    idx = torch.topk(uncertainty, k=num_uncertain, dim=1)[1]
    picked = torch.gather(coords, 1, idx[..., None].expand(-1, -1, 2))
    if num_random > 0:
        picked = torch.cat([
            picked,
            torch.rand(n, num_random, 2, device=device, generator=generator)
        ], 1)
    return picked


def point_sample(x: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """Bilinear values of (N, C, H, W) maps at (N, P, 2) [0, 1] coords.

    Border values are replicated (mmcv's ``point_sample`` pads with zeros,
    which pulls logits and GT towards 0 near the frame border and makes the
    uncertainty sampling favour the border).

    Returns:
        Tensor: (N, C, P).
    """
    grid = 2.0 * coords[:, :, None] - 1.0
    return F.grid_sample(x.float(), grid.float(), padding_mode='border',
                         align_corners=False)[..., 0]


def mask_losses(logits: torch.Tensor,
                gt: torch.Tensor,
                bce_weight: float = 2.0,
                dice_weight: float = 0.5,
                dice_eps: float = 1.0,
                num_points: Optional[int] = None) -> Tuple[torch.Tensor,
                                                            torch.Tensor]:
    """BCE (w 2.0) + Dice (w 0.5, eps 1) of the released code, per mask.

    Args:
        logits (Tensor): (N, H, W) mask logits, at the GT resolution.
        gt (Tensor): (N, H, W) binary masks.
        num_points (int, optional): None = per-pixel; otherwise the losses
            are taken on ``num_points`` uncertainty-sampled points (released
            code: 12,544) with the GT sampled at the same points.

    Returns:
        tuple[Tensor, Tensor]: weighted BCE and Dice, each (N,) per mask.
    """
    if logits.shape != gt.shape:
        raise ValueError(f'mask_losses: logits {tuple(logits.shape)} vs gt '
                         f'{tuple(gt.shape)}.')
    gt = gt.float()
    if num_points is not None:
        with torch.no_grad():
            coords = sample_points(logits[:, None].detach(), num_points)
            gt_pts = point_sample(gt[:, None], coords)[:, 0]
        pred = point_sample(logits[:, None], coords)[:, 0]
    else:
        pred, gt_pts = logits.flatten(1), gt.flatten(1)
    bce = sigmoid_bce_loss(pred, gt_pts, reduction='none').mean(1)
    dice = dice_loss(pred.sigmoid(), gt_pts, eps=dice_eps, naive_dice=True,
                     reduction='none')
    return bce_weight * bce, dice_weight * dice


def attention_map_loss(attn: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Attention-map loss of the released code (not in the paper).

    BCE between the seg token's attention over one frame's vision tokens,
    rescaled to [0, 1] by its maximum, and the GT mask pooled to the token
    grid.

    Args:
        attn (Tensor): (F, n) attention of the seg token over the n = g*g
            ``<IMG_CONTEXT>`` tokens of each of F frames (averaged over the
            chosen layers/heads).
        gt (Tensor): (F, H, W) binary GT masks of those frames.

    Returns:
        Tensor: scalar loss.
    """
    side = int(round(attn.size(1)**0.5))
    if side * side != attn.size(1):
        raise ValueError(f'{attn.size(1)} vision tokens are not a square '
                         'grid.')
    target = F.adaptive_avg_pool2d(gt[:, None].float(), side).flatten(1)
    prob = attn.float() / attn.float().amax(1, keepdim=True).clamp_min(1e-6)
    return F.binary_cross_entropy(prob.clamp(1e-6, 1 - 1e-6), target)


def actor_target_overlap_loss(actor_logits: torch.Tensor,
                              target_logits: torch.Tensor,
                              eps: float = 1.0) -> torch.Tensor:
    """Soft Dice overlap between the actor and the target mask of a clip.

    Not in the paper (CPU-scale option, ``loss_overlap_weight``): the actor
    of an interaction is never its target, so the two predicted masks should
    not overlap; the term is 0 for disjoint masks and -> 1 for identical
    ones:

    ``overlap = (2 * sum(p_a * p_t) + 0) / (sum(p_a) + sum(p_t) + eps)``,
    ``p = sigmoid(logits)``, sums over all frames and pixels of the clip.

    Args:
        actor_logits (Tensor): (T, H, W) actor mask logits of one clip.
        target_logits (Tensor): (T, H, W) target mask logits, same clip.
        eps (float): smoothing of the denominator.

    Returns:
        Tensor: scalar overlap in [0, 1).
    """
    if actor_logits.shape != target_logits.shape:
        raise ValueError(f'actor_target_overlap_loss: actor '
                         f'{tuple(actor_logits.shape)} vs target '
                         f'{tuple(target_logits.shape)}.')
    pa = actor_logits.float().sigmoid().flatten()
    pt = target_logits.float().sigmoid().flatten()
    return 2 * (pa * pt).sum() / (pa.sum() + pt.sum() + eps)
