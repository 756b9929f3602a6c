"""Inference-only rules of the CPU recipe that read both roles' logits (not
in the paper): keep the actor region nearest the target, choose one actor
and one target region as a pair, or make the two masks disjoint. Reasons:
``docs/decisions/reviosa.md``, sessions 5, 7, 8."""
import math

import numpy as np
import torch


def keep_nearest_component(actor: torch.Tensor, target: torch.Tensor,
                           threshold: float = 0.5,
                           suppressed: float = -20.0) -> torch.Tensor:
    """Keep, per frame, the actor region nearest to the target.

    The actor of an interaction touches or approaches its target, and is
    another object. When a frame's actor mask falls apart into several
    connected regions (the head found "an object" several times), the
    regions lying mostly (> half their area) inside the target mask are not
    candidates; of the others, the one with the smallest distance to the
    target mask is kept and the logits of every other region are lowered to
    ``suppressed``. Frames with one region, no candidate, no actor or no
    target are unchanged.

    Args:
        actor (Tensor): (T, H, W) actor mask logits.
        target (Tensor): (T, H, W) target mask logits (same size).
        threshold (float): probability threshold of both masks.
        suppressed (float): logit given to the dropped regions.

    Returns:
        Tensor: (T, H, W) actor logits.
    """
    from scipy import ndimage
    if actor.shape != target.shape or actor.dim() != 3:
        raise ValueError(f'keep_nearest_component expects two (T, H, W) '
                         f'maps, got {tuple(actor.shape)} and '
                         f'{tuple(target.shape)}.')
    cut = math.log(threshold / (1.0 - threshold))
    act_fg = (actor > cut).cpu().numpy()
    tar_fg = (target > cut).cpu().numpy()
    out = actor.clone()
    for t in range(actor.size(0)):
        labels, num = ndimage.label(act_fg[t])
        if num < 2 or not tar_fg[t].any():
            continue
        ids = np.arange(1, num + 1)
        inside = ndimage.mean(tar_fg[t].astype(np.float64), labels, ids)
        candidates = ids[np.asarray(inside) <= 0.5]
        if candidates.size == 0:
            continue
        distance = ndimage.distance_transform_edt(~tar_fg[t])
        nearest = int(candidates[np.argmin(ndimage.minimum(
            distance, labels, candidates))])
        drop = torch.from_numpy((labels > 0) & (labels != nearest)).to(
            actor.device)
        out[t] = torch.where(drop, out.new_tensor(suppressed).clamp(
            max=cut - 1.0), out[t])
    return out


def select_actor_target_pair(actor: torch.Tensor, target: torch.Tensor,
                             threshold: float = 0.3,
                             distance_weight: float = 5.0,
                             mask_threshold: float = 0.5,
                             inside_max: float = 0.5,
                             suppressed: float = -20.0):
    """Keep, per frame, one actor region and one target region: the pair
    the two masks are most confident about and that lie closest together.

    Joint decoding of an interaction: the actor and the target are two
    different objects, one each, and they touch or approach each other.
    Per frame, the candidates of each role are the connected regions of its
    probability map above ``threshold`` (lower than the mask threshold, so
    an object the head is unsure of still competes). A pair (a, b) scores

        s(a, b) = log max_a p_act + log max_b p_tar - lambda * d(a, b) / S,

    with d the smallest pixel distance between the regions, S = min(H, W)
    and lambda = ``distance_weight``; actor regions lying more than
    ``inside_max`` of their area inside b are not paired with b. The best
    pair is kept: every other region of each map is lowered to
    ``suppressed``, and the kept regions' pixels (all above ``threshold``)
    become foreground (logit at least ``logit(mask_threshold) + 1``).
    Frames where either map has no region, or no pair is allowed, are
    unchanged.

    Args:
        actor (Tensor): (T, H, W) actor mask logits.
        target (Tensor): (T, H, W) target mask logits (same size).
        threshold (float): probability above which a pixel belongs to a
            candidate region.
        distance_weight (float): lambda, per unit of ``min(H, W)``.
        mask_threshold (float): the model's output threshold.
        inside_max (float): largest share of an actor region inside the
            target region it is paired with.
        suppressed (float): logit given to the dropped regions.

    Returns:
        tuple[Tensor, Tensor]: the (T, H, W) actor and target logits.
    """
    from scipy import ndimage
    if actor.shape != target.shape or actor.dim() != 3:
        raise ValueError(f'select_actor_target_pair expects two (T, H, W) '
                         f'maps, got {tuple(actor.shape)} and '
                         f'{tuple(target.shape)}.')
    if not 0.0 < threshold < 1.0:
        raise ValueError(f'threshold must be in (0, 1), got {threshold}.')
    keep_at = math.log(mask_threshold / (1.0 - mask_threshold)) + 1.0
    drop_to = min(suppressed, keep_at - 2.0)
    side = float(min(actor.shape[-2:]))
    prob_a = actor.detach().float().sigmoid().cpu().numpy()
    prob_t = target.detach().float().sigmoid().cpu().numpy()
    act_out, tar_out = actor.clone(), target.clone()
    for t in range(actor.size(0)):
        lab_a, num_a = ndimage.label(prob_a[t] > threshold)
        lab_t, num_t = ndimage.label(prob_t[t] > threshold)
        if num_a == 0 or num_t == 0:
            continue
        ids_a = np.arange(1, num_a + 1)
        ids_t = np.arange(1, num_t + 1)
        log_a = np.log(np.asarray(ndimage.maximum(prob_a[t], lab_a, ids_a)))
        log_t = np.log(np.asarray(ndimage.maximum(prob_t[t], lab_t, ids_t)))
        best = None
        for j in ids_t:
            region = lab_t == j
            inside = np.asarray(ndimage.mean(region.astype(np.float64),
                                             lab_a, ids_a))
            gap = np.asarray(ndimage.minimum(
                ndimage.distance_transform_edt(~region), lab_a, ids_a))
            score = log_a + log_t[j - 1] - distance_weight * gap / side
            score[inside > inside_max] = -np.inf
            k = int(np.argmax(score))
            if np.isfinite(score[k]) and (best is None or score[k] > best[0]):
                best = (score[k], k + 1, j)
        if best is None:
            continue
        _, k, j = best
        for out, lab, keep in ((act_out, lab_a, k), (tar_out, lab_t, j)):
            chosen = torch.from_numpy(lab == keep).to(out.device)
            other = torch.from_numpy((lab > 0) & (lab != keep)).to(out.device)
            frame = out[t].masked_fill(other, drop_to)
            out[t] = torch.where(chosen, frame.clamp(min=keep_at), frame)
    return act_out, tar_out


def exclusive_logits(actor: torch.Tensor, target: torch.Tensor,
                     threshold: float = 0.5):
    """Make two mask-logit maps claim disjoint foregrounds.

    Where both are foreground (``sigmoid > threshold``), the map with the
    smaller logit is pushed to background (-1e4); elsewhere both are kept.

    Args:
        actor (Tensor): (T, H, W) logits.
        target (Tensor): (T, H, W) logits, same shape.
        threshold (float): sigmoid threshold of a foreground pixel.

    Returns:
        tuple[Tensor, Tensor]: the actor and target logits.
    """
    t = float(np.log(threshold / (1 - threshold)))
    both = (actor > t) & (target > t)
    background = actor.new_tensor(-1e4)
    return (torch.where(both & (target > actor), background, actor),
            torch.where(both & (actor >= target), background, target))
