"""Mask and attention-map losses of ReVIOsA (Sec. 4.2 + released code)."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from rvos_plugin.models.losses.dice_loss import dice_loss
from rvos_plugin.models.losses.sigmoid_bce_loss import sigmoid_bce_loss
from rvos_plugin.utils.sample_rng import sample_rng


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


def point_seed(sample, purpose: str) -> Optional[int]:
    """Seed of one sample's point sampling: a function of (seed, iteration,
    ``sample_idx``, purpose) with ``RVOSEpochSeedHook``
    (``rvos_plugin.utils.sample_rng``), the same whatever the split of the
    batch over ranks; ``None`` otherwise (the global torch generator)."""
    rng = sample_rng(sample.metainfo.get('sample_idx'),
                     f'reviosa-points-{purpose}')
    return None if rng is None else rng.getrandbits(63)


def mask_losses(logits: torch.Tensor,
                gt: torch.Tensor,
                bce_weight: float = 2.0,
                dice_weight: float = 0.5,
                dice_eps: float = 1.0,
                num_points: Optional[int] = None,
                seed: Optional[int] = None) -> Tuple[torch.Tensor,
                                                      torch.Tensor]:
    """BCE (w 2.0) + Dice (w 0.5, eps 1) of the released code, per mask.

    Args:
        logits (Tensor): (N, H, W) mask logits, at the GT resolution.
        gt (Tensor): (N, H, W) binary masks.
        num_points (int, optional): None = per-pixel; otherwise the losses
            are taken on ``num_points`` uncertainty-sampled points (released
            code: 12,544) with the GT sampled at the same points.
        seed (int, optional): seed of the points' generator
            (:func:`point_seed`); None = the global torch generator.

    Returns:
        tuple[Tensor, Tensor]: weighted BCE and Dice, each (N,) per mask.
    """
    if logits.shape != gt.shape:
        raise ValueError(f'mask_losses: logits {tuple(logits.shape)} vs gt '
                         f'{tuple(gt.shape)}.')
    gt = gt.float()
    if num_points is not None:
        gen = None if seed is None else torch.Generator(
            device=logits.device).manual_seed(seed)
        with torch.no_grad():
            coords = sample_points(logits[:, None].detach(), num_points,
                                   generator=gen)
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


def seg_token_attention_loss(attentions: Sequence[torch.Tensor],
                             ids: torch.Tensor, mask: torch.Tensor,
                             rows: Sequence[int],
                             gts: Sequence[torch.Tensor], token_id: int,
                             image_token_id: int, tokens_per_frame: int,
                             layers: Sequence[int] = (-1, ),
                             heads: Optional[Sequence[int]] = None
                             ) -> torch.Tensor:
    """:func:`attention_map_loss` of a seg token, averaged over sequences.

    Args:
        attentions (Sequence[Tensor]): per LLM layer, (S, heads, L, L).
        ids (Tensor): (S, L) token ids; ``mask`` (S, L), 0 on padding.
        rows (Sequence[int]): the sequences carrying the token.
        gts (Sequence[Tensor]): (F, H, W) GT masks of each row's frames.
        token_id (int): the seg token; ``image_token_id`` the
            ``<IMG_CONTEXT>`` token, ``tokens_per_frame`` of them per frame.
        layers, heads: the attention maps averaged (all heads when None).

    Returns:
        Tensor: scalar loss.
    """
    att = torch.stack([attentions[i] for i in layers]).float()
    att = att[:, :, heads] if heads is not None else att
    att = att.mean(dim=(0, 2))  # (S, L, L)
    terms = []
    for s, gt in zip(rows, gts):
        valid = mask[s].bool()
        pos = ((ids[s] == token_id) & valid).nonzero()
        img = ((ids[s] == image_token_id) & valid).nonzero()[:, 0]
        row = att[s, pos[0, 0], img].reshape(-1, tokens_per_frame)
        terms.append(attention_map_loss(row, gt.to(row.device)))
    return torch.stack(terms).mean()
